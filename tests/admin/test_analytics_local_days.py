"""Analytics days are the station's local days (on SQLite and PostgreSQL alike), the counts chart has
integer ticks, and utilisation reads the same in the chart, the table and the totals."""
import re
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from webapp.extensions import db
from webapp.models import ChargingSession, Payment, Station
from webapp.services.reports import analytics

from .conftest import paid_booking

pytestmark = pytest.mark.both_dbs

UTC = timezone.utc
KOLKATA = ZoneInfo("Asia/Kolkata")
DAY = date(2026, 3, 10)
LAST_MINUTE = datetime(2026, 3, 9, 23, 59, tzinfo=KOLKATA)  # 2026-03-09 18:29 UTC
FIRST_MINUTE = datetime(2026, 3, 10, 0, 0, tzinfo=KOLKATA)  # 2026-03-09 18:30 UTC: still the 9th in UTC


def _session(world, started, minutes, energy_wh=1000):
    session = ChargingSession(connector_id=world.connector.id, user_id=world.driver.id, id_tag=world.driver.id_tag,
                              meter_start=0, meter_stop=energy_wh, meter_last=energy_wh, started_at=started,
                              stopped_at=started + timedelta(minutes=minutes), stop_reason="Local",
                              energy_wh=energy_wh, cost=100)
    db.session.add(session)
    db.session.commit()
    return session


def _capture_at(world, moment, amount):
    booking = paid_booking(world.connector, world.driver, authorised=amount, captured=amount)
    capture = next(p for p in booking.payments if p.kind == "capture")
    for payment in booking.payments:  # the authorisation and the refund of the rest too (they are not revenue)
        payment.created_at = moment
    db.session.commit()
    return capture


@pytest.fixture
def boundary(world):
    """At the operator's Kolkata station: a payment and a session at 23:59 IST on the 9th, and another pair at
    00:00 IST on the 10th, which is still the 9th in UTC."""
    _capture_at(world, LAST_MINUTE, 1000)
    _capture_at(world, FIRST_MINUTE, 2000)
    _session(world, LAST_MINUTE, 1, energy_wh=1000)  # 23:59 to 00:00: one minute of the 9th
    _session(world, FIRST_MINUTE, 60, energy_wh=5000)
    return world


def test_a_day_starts_at_midnight_station_time(boundary):
    data = analytics.report(boundary.operator, date(2026, 3, 9), DAY)
    (ninth, f9), (tenth, f10) = data["days"]
    assert (ninth, tenth) == (date(2026, 3, 9), DAY)
    assert (f9.revenue, f9.sessions, f9.energy_wh) == (1000, 1, 1000)
    assert (f10.revenue, f10.sessions, f10.energy_wh) == (2000, 1, 5000)
    assert f9.busy_seconds == 60 and f10.busy_seconds == 3600
    # the 10th alone: the row at 00:00 IST belongs to it, the one a minute earlier does not
    [(_, only)] = analytics.report(boundary.operator, DAY, DAY)["days"]
    assert (only.revenue, only.sessions, only.busy_seconds) == (2000, 1, 3600)


def test_a_station_in_another_zone_keeps_its_own_days(boundary):
    """The same rows at a station in UTC fall on the 9th together."""
    db.session.get(Station, boundary.station.id).timezone = "UTC"
    db.session.commit()
    data = analytics.report(boundary.operator, date(2026, 3, 9), DAY)
    (_, f9), (_, f10) = data["days"]
    assert (f9.revenue, f9.sessions) == (3000, 2) and (f10.revenue, f10.sessions) == (0, 0)


def test_a_dst_day_is_23_hours_long(world):
    db.session.get(Station, world.station.id).timezone = "Europe/Berlin"
    db.session.commit()
    spring = date(2026, 3, 29)  # clocks go 02:00 -> 03:00
    [(_, day)] = analytics.report(world.operator, spring, spring)["days"]
    assert day.available_seconds == 2 * 23 * 3600  # two connectors


def test_the_analytics_page_says_days_are_station_local(operator_client, boundary):
    page = operator_client.get("/admin/analytics?day_from=2026-03-10&day_to=2026-03-10").get_data(as_text=True)
    assert "local days" in page and "UTC days" not in page
    assert 'id="total-revenue">₹20.00' in page and 'id="total-sessions">1<' in page


def _chart(page, label):
    return re.search(rf'<svg class="chart"[^>]*aria-label="{label}".*?</svg>', page, re.S).group(0)


def test_session_counts_have_integer_ticks(operator_client, boundary):
    page = operator_client.get("/admin/analytics?day_from=2026-03-09&day_to=2026-03-10").get_data(as_text=True)
    ticks = re.findall(r'<text class="tick"[^>]*text-anchor="end">([^<]*)</text>', _chart(page, "Sessions per day"))
    assert ticks and all(re.fullmatch(r"\d+", t) for t in ticks), ticks
    assert ticks[-1] == "4"  # one session a day: 0..4 in steps of one


def test_small_utilisation_is_not_written_as_zero():
    figures = analytics.Figures(utilisation=0.00036)
    assert (figures.utilisation_pct, figures.utilisation_text) == (0.04, "0.04")
    assert analytics.Figures(utilisation=0.1234).utilisation_text == "12.3"
    assert analytics.Figures().utilisation_text == "0.0"


def test_utilisation_agrees_between_chart_table_and_totals(operator_client, boundary):
    url = "/admin/analytics?day_from=2026-03-09&day_to=2026-03-10"
    page = operator_client.get(url).get_data(as_text=True)
    data = analytics.report(boundary.operator, date(2026, 3, 9), DAY)
    [(station, figures)] = data["stations"]
    expected = analytics.percent_text(figures.utilisation_pct)
    # 61 busy minutes of 2 connectors x 48 h
    assert abs(figures.utilisation - 61 * 60 / (2 * 48 * 3600)) < 1e-12 and expected == "1.1"
    cell = re.search(rf'<tr data-station="{station.id}">.*?data-utilisation="[^"]*">([^<]*)</td>', page, re.S)
    assert cell.group(1) == f"{expected} %"
    chart = _chart(page, "Utilisation per station")
    assert f"Own Station · Utilisation: {expected} %" in chart
    assert f'id="total-utilisation">{expected} %' in page
    # each day's figure in the per-day table is the one its bar shows
    for day, f in data["days"]:
        row = re.search(rf'<tr data-day="{day.isoformat()}">.*?data-utilisation="[^"]*">([^<]*)</td>', page, re.S)
        text = analytics.percent_text(f.utilisation_pct)
        assert row.group(1) == f"{text} %" and f"{day:%d %b} · Utilisation: {text} %" in _chart(page, "Utilisation per day")
    # the per-day figures add up to the station's: one denominator for both
    days = data["days"]
    assert sum(f.busy_seconds for _, f in days) == figures.busy_seconds
    assert sum(f.available_seconds for _, f in days) == figures.available_seconds
