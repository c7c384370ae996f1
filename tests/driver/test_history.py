"""History and stats: filters (recent, this month, all time), pagination, totals, the monthly chart (inline
SVG drawn on the server), and rating a station 1-5 after a session."""
import re
from datetime import datetime, timezone

import pytest

from webapp.extensions import db
from webapp.models import Booking
from webapp.services.fleet import qr
from webapp.services.reports import history

from .conftest import confirmed_booking
from .flow import start_tx, status, stop_tx
from .pages import text


def finished(client, driver, connector, clock, when, wh, minutes=30, cp="CP-TEST-1"):
    """A completed session at `when` delivering `wh` over `minutes`; returns the booking id."""
    clock.now = when
    booking_id = confirmed_booking(client, connector)
    client.post(f"/c/{qr.token_for(connector)}/start")
    tx = start_tx(driver.id_tag, connector.connector_id, meter_start=1_000_000 + int(when.timestamp()) % 100000,
                  cp=cp)
    status("Charging", connector.connector_id, cp=cp)
    clock.advance(minutes=minutes)
    stop_tx(tx, 1_000_000 + int(when.timestamp()) % 100000 + wh, cp=cp)
    status("Available", connector.connector_id, cp=cp)
    assert db.session.get(Booking, booking_id).status == "COMPLETED"
    return booking_id


NOW = datetime(2025, 3, 20, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def past(client, driver, charger, factory, clock, link):
    """Sessions on 2025-01-10 (5 kWh), 2025-03-02 (8 kWh), 2025-03-18 (10 kWh at another station)."""
    other = factory.charger(station=factory.station(name="Other Station"), cp_id="CP-OTHER")
    ids = [finished(client, driver, charger.connectors[0], clock, datetime(2025, 1, 10, 8, tzinfo=timezone.utc), 5000),
           finished(client, driver, charger.connectors[0], clock, datetime(2025, 3, 2, 8, tzinfo=timezone.utc), 8000,
                    minutes=60),
           finished(client, driver, other.connectors[0], clock, datetime(2025, 3, 18, 8, tzinfo=timezone.utc), 2000,
                    cp="CP-OTHER")]
    clock.now = NOW
    return ids


def totals_of(html):
    return {k: v for k, v in re.findall(r'data-total-(\w+)="([^"]+)"', html)}


def test_all_time_totals_and_favourite(client, past):
    html = client.get("/history").get_data(as_text=True)
    assert totals_of(html) == {"sessions": "3", "energy": "15.0", "spent": str(11000 + 16400 + 5600)}
    page = text(html)
    assert "Favourite station Station 1" in page and "Average session 40.0 min" in page
    assert page.count("Receipt") == 3


@pytest.mark.parametrize("chosen, sessions, energy, spent", [("this-month", "2", "10.0", "22000"),
                                                             ("recent", "1", "2.0", "5600"),
                                                             ("all-time", "3", "15.0", "33000")])
def test_filters(client, past, chosen, sessions, energy, spent):
    html = client.get(f"/history?filter={chosen}").get_data(as_text=True)
    totals = totals_of(html)
    assert (totals["sessions"], totals["energy"], totals["spent"]) == (sessions, energy, spent)
    assert html.count('class="card session"') == int(sessions)
    assert 'aria-current="page"' in html


def test_unknown_filter_is_400(client, driver):
    response = client.get("/history?filter=forever")
    assert response.status_code == 400 and "Unknown filter" in response.get_data(as_text=True)


def test_page_argument_is_read_by_the_history_form(client, driver):
    """A page that is not a number is the first page (as the pager's links would give); one beyond any id
    column is a 400, like every bounded number in a request."""
    assert client.get("/history?page=abc&filter=recent").status_code == 200
    response = client.get(f"/history?page={2**40}")
    assert response.status_code == 400 and "out of range" in response.get_data(as_text=True)


def test_monthly_chart_is_inline_svg(client, past):
    html = client.get("/history").get_data(as_text=True)
    svg = re.search(r"<svg class=\"chart\".*?</svg>", html, re.S).group(0)
    bars = dict(re.findall(r'data-month="([\d-]+)">\s*<title>[^<]*</title>\s*<rect [^>]*height="([\d.]+)"', svg))
    assert len(bars) == 12 and list(bars)[0] == "2024-04" and list(bars)[-1] == "2025-03"
    assert float(bars["2025-03"]) > float(bars["2025-01"]) > 0 and float(bars["2025-02"]) == 0
    assert "2025-03: 10.0 kWh in 2 sessions" in svg and 'role="img"' in svg


def test_monthly_usage_numbers(app, past, driver):
    months = {m.key: m for m in history.monthly(driver, now=NOW)}
    assert (months["2025-03"].sessions, months["2025-03"].energy_kwh, months["2025-03"].spent) == (2, 10.0, 22000)
    assert (months["2025-01"].sessions, months["2025-01"].energy_kwh) == (1, 5.0)


def test_pagination(client, driver, charger, clock, link):
    for day in range(1, 13):
        finished(client, driver, charger.connectors[0], clock, datetime(2025, 2, day, 8, tzinfo=timezone.utc), 1000,
                 minutes=10)
    clock.now = NOW
    first = client.get("/history").get_data(as_text=True)
    assert first.count('class="card session"') == 10 and "Page 1 of 2" in first and 'rel="next"' in first
    second = client.get("/history?page=2").get_data(as_text=True)
    assert second.count('class="card session"') == 2 and 'rel="prev"' in second
    assert "12 Feb 2025" in text(first) and "01 Feb 2025" in text(second)
    assert client.get("/history?page=99").get_data(as_text=True).count('class="card session"') == 2


def test_rating_after_a_completed_session(client, past, charger):
    booking_id = past[0]
    response = client.post(f"/bookings/{booking_id}/rate", data={"stars": "4"}, follow_redirects=True)
    assert "Thanks for rating" in text(response.get_data(as_text=True))
    b = db.session.get(Booking, booking_id)
    assert b.rating == 4 and b.session.rating == 4
    client.post(f"/bookings/{past[1]}/rate", data={"stars": "5"})
    station_page = text(client.get(f"/stations/{charger.station_id}").get_data(as_text=True))
    assert "★ 4.5 (2 ratings)" in station_page


@pytest.mark.parametrize("stars", ["0", "6", "lots", ""])
def test_bad_rating_is_refused(client, past, stars):
    response = client.post(f"/bookings/{past[0]}/rate", data={"stars": stars})
    assert response.status_code == 422  # the receipt again, the message next to the stars
    assert "Choose from 1 to 5 stars" in response.get_data(as_text=True).split('id="f-stars-error"')[1]
    assert db.session.get(Booking, past[0]).rating is None


def test_rating_before_the_session_is_complete_is_refused(client, driver, charger, link):
    booking_id = confirmed_booking(client, charger.connectors[0])
    response = client.post(f"/bookings/{booking_id}/rate", data={"stars": "5"},
                           headers={"Accept": "application/json"})
    assert response.status_code == 409 and "once your charging session is complete" in response.json["error"]["message"]
