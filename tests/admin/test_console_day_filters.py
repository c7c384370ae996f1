"""The console's day filters read a day on the console's clock (the viewer's own zone, else their stations'
zone, else CONSOLE_TIMEZONE), as its times are shown: a booking made at 00:15 IST on 2 Dec (18:45 UTC on 1 Dec)
is one of 2 Dec's, in the bookings, sessions and payments lists, the audit log and the CSV export."""
from datetime import datetime, timezone

from sqlalchemy import update

from webapp.extensions import db
from webapp.models import AuditLog, Booking, ChargingSession, Payment

JUST_AFTER_MIDNIGHT_IST = datetime(2026, 12, 1, 18, 45, tzinfo=timezone.utc)


def listed(client, url, marker) -> bool:
    return marker in client.get(url).get_data(as_text=True)


def test_list_filters_take_the_day_on_the_stations_clock(operator_client, admin_client, world):
    booking = db.session.get(Booking, world.booking.id)
    booking.created_at = JUST_AFTER_MIDNIGHT_IST
    db.session.get(ChargingSession, world.session.id).started_at = JUST_AFTER_MIDNIGHT_IST
    db.session.get(Payment, world.capture.id).created_at = JUST_AFTER_MIDNIGHT_IST
    # The audit log is append-only through the ORM; the test dates its entry with a plain UPDATE.
    db.session.execute(update(AuditLog).where(AuditLog.id == world.entry.id).values(created_at=JUST_AFTER_MIDNIGHT_IST))
    db.session.commit()
    for day, shown in (("2026-12-02", True), ("2026-12-01", False)):
        span = f"day_from={day}&day_to={day}"
        assert listed(operator_client, f"/admin/bookings?{span}", f"/admin/bookings/{booking.id}\"") is shown
        assert listed(operator_client, f"/admin/sessions?{span}", f"/admin/sessions/{world.session.id}\"") is shown
        assert listed(operator_client, f"/admin/payments?{span}", f"/admin/payments/{world.capture.id}\"") is shown
        assert listed(admin_client, f"/admin/audit?{span}", f"/admin/audit/{world.entry.id}\"") is shown
        csv = operator_client.get(f"/admin/exports/sessions.csv?{span}").get_data(as_text=True)
        assert (f"\n{world.session.id}," in csv) is shown


def test_an_operator_who_chose_their_own_zone_filters_on_it(operator_client, world):
    world.operator.console_timezone = "UTC"
    db.session.get(Booking, world.booking.id).created_at = JUST_AFTER_MIDNIGHT_IST
    db.session.commit()
    assert listed(operator_client, "/admin/bookings?day_from=2026-12-01&day_to=2026-12-01",
                  f"/admin/bookings/{world.booking.id}\"")
