"""Console times on a wall clock with the zone named: the station's, or the staff member's own zone (a
per-user setting); times that belong to no station use CONSOLE_TIMEZONE."""
import re
from datetime import datetime, timezone

import pytest

from webapp.extensions import db
from webapp.models import AuditLog, Booking, OcppMessage, Station, User

UTC = timezone.utc
MOMENT = datetime(2026, 6, 1, 8, 35, 9, tzinfo=UTC)  # 14:05:09 in Kolkata, 10:35:09 in Berlin (CEST)


@pytest.fixture
def dated(world):
    """The operator's booking created at MOMENT, an audit entry written at MOMENT."""
    booking = db.session.get(Booking, world.booking.id)
    booking.created_at = MOMENT
    world.entry = AuditLog(user_id=world.admin.id, action="station.update", target_type="station",
                           target_id=str(world.station.id), created_at=MOMENT)
    db.session.add(world.entry)
    db.session.commit()
    return world


def test_booking_times_on_the_station_clock_with_the_zone_named(operator_client, dated):
    page = operator_client.get(f"/admin/bookings/{dated.booking.id}").get_data(as_text=True)
    assert ('<time datetime="2026-06-01T08:35:09.000Z" title="2026-06-01 08:35:09 UTC">2026-06-01 14:05:09 IST'
            '</time>') in page
    assert "08:35:09 UTC</time>" not in page
    listing = operator_client.get("/admin/bookings").get_data(as_text=True)
    assert "2026-06-01 14:05:09 IST" in listing


def test_a_station_in_another_zone_shows_its_own_clock(operator_client, dated):
    db.session.get(Station, dated.station.id).timezone = "America/New_York"
    db.session.commit()
    page = operator_client.get(f"/admin/bookings/{dated.booking.id}").get_data(as_text=True)
    assert "2026-06-01 04:35:09 EDT" in page


def test_my_timezone_setting_is_honoured_and_can_be_undone(operator_client, dated):
    form = operator_client.get("/admin/me/clock").get_data(as_text=True)
    assert 'value="station" checked' in form or re.search(r'checked[^>]*value="station"', form)
    response = operator_client.post("/admin/me/clock", data={"show_in": "mine", "zone": "Europe/Berlin"})
    assert response.status_code == 302
    assert db.session.get(User, dated.operator.id).console_timezone == "Europe/Berlin"
    entry = db.session.execute(db.select(AuditLog).where(AuditLog.action == "user.console_timezone")).scalar_one()
    assert entry.user_id == dated.operator.id and entry.after == {"console_timezone": "Europe/Berlin"}
    page = operator_client.get(f"/admin/bookings/{dated.booking.id}").get_data(as_text=True)
    assert "2026-06-01 10:35:09 CEST" in page and "14:05:09 IST" not in page
    assert "Times: Europe/Berlin" in page
    # the other operator still reads station time
    other = db.session.get(User, dated.other_operator.id)
    assert other.console_timezone is None
    operator_client.post("/admin/me/clock", data={"show_in": "station", "zone": "Europe/Berlin"})
    assert db.session.get(User, dated.operator.id).console_timezone is None
    page = operator_client.get(f"/admin/bookings/{dated.booking.id}").get_data(as_text=True)
    assert "2026-06-01 14:05:09 IST" in page and "Times: station time" in page


@pytest.mark.parametrize("data, message", [
    ({"show_in": "mine", "zone": "Mars/Olympus"}, "Unknown timezone &#39;Mars/Olympus&#39;"),
    ({"show_in": "mine", "zone": ""}, "Name your timezone"),
    ({"show_in": "moon", "zone": "Europe/Berlin"}, "Choose station time or my timezone."),
])
def test_a_bad_timezone_is_refused_next_to_its_field(operator_client, dated, data, message):
    response = operator_client.post("/admin/me/clock", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page and 'class="field-error"' in page
    assert db.session.get(User, dated.operator.id).console_timezone is None
    assert not db.session.execute(db.select(AuditLog).where(AuditLog.action == "user.console_timezone")).first()


def test_times_of_no_station_use_the_console_timezone(admin_client, dated, app, monkeypatch):
    page = admin_client.get(f"/admin/audit/{dated.entry.id}").get_data(as_text=True)
    assert "2026-06-01 08:35:09 UTC</time>" in page  # the default CONSOLE_TIMEZONE
    monkeypatch.setitem(app.config, "CONSOLE_TIMEZONE", "Asia/Kolkata")
    page = admin_client.get(f"/admin/audit/{dated.entry.id}").get_data(as_text=True)
    assert "2026-06-01 14:05:09 IST</time>" in page


def test_ocpp_log_times_on_the_station_clock(operator_client, dated):
    db.session.add(OcppMessage(charger_id=dated.charger.id, direction="in", action="StatusNotification",
                               unique_id="u1", payload='[2,"u1","StatusNotification",{}]', created_at=MOMENT))
    db.session.commit()
    page = operator_client.get(f"/admin/chargers/{dated.charger.id}/messages").get_data(as_text=True)
    assert "2026-06-01 14:05:09 IST" in page


def test_every_time_on_a_station_page_is_on_the_station_clock(operator_client, dated):
    """Every time on the pages of the operator's (Kolkata) rows reads IST; none is the old bare UTC stamp."""
    w = dated
    for url in [f"/admin/bookings/{w.booking.id}", "/admin/bookings", "/admin/sessions",
                f"/admin/sessions/{w.session.id}", "/admin/payments", f"/admin/payments/{w.capture.id}",
                f"/admin/chargers/{w.charger.id}", f"/admin/chargers/{w.charger.id}/messages",
                f"/admin/stations/{w.station.id}", "/admin/maintenance"]:
        page = operator_client.get(url).get_data(as_text=True)
        shown = re.findall(r"<time [^>]*>([^<]*)</time>", page)
        assert shown or url.endswith("messages"), url
        assert all(text.endswith(" IST") or text.endswith(" s ago") for text in shown), (url, shown)


def test_the_dashboards_today_starts_at_the_stations_midnight(operator_client, dated):
    page = operator_client.get("/admin/").get_data(as_text=True)
    assert re.search(r'"Today" runs from <time [^>]*>\d{4}-\d\d-\d\d 00:00:00 IST</time>', page)
    operator_client.post("/admin/me/clock", data={"show_in": "mine", "zone": "America/New_York"})
    page = operator_client.get("/admin/").get_data(as_text=True)
    assert re.search(r'"Today" runs from <time [^>]*>\d{4}-\d\d-\d\d 00:00:00 E[SD]T</time>', page)
