"""The booking page's staff actions take a reason through a form: a bad one is refused next to its field (422,
what was typed kept) and changes and audits nothing; a good one reaches the service and its entry."""
import pytest

from webapp.extensions import db
from webapp.models import AuditLog, Booking

from .conftest import paid_booking


def audit_entries():
    return db.session.execute(db.select(AuditLog).where(AuditLog.target_type == "booking")).scalars().all()


@pytest.mark.parametrize("action, field_id", [("cancel", "f-reason"), ("take-over", "f-takeover")])
@pytest.mark.parametrize("reason, typed", [(" ", ""), ("x" * 151, "x" * 151)])
def test_a_bad_reason_is_refused_next_to_its_field(operator_client, world, factory, action, field_id, reason, typed):
    booking = paid_booking(world.charger.connectors[1], factory.user(), status="CONFIRMED")
    response = operator_client.post(f"/admin/bookings/{booking.id}/{action}", data={"reason": reason})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    error = page.split(f'id="{field_id}-error"')[1].split("</small>")[0]
    assert "Give a reason (at most 150 characters)" in error
    assert f'value="{typed}"' in page.split(f'id="{field_id}"')[1].split(">")[0]
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == "CONFIRMED" and audit_entries() == []


def test_a_refusal_about_the_booking_is_flashed_with_its_status(operator_client, world):
    response = operator_client.post(f"/admin/bookings/{world.booking.id}/cancel", data={"reason": "x"})
    assert response.status_code == 409
    assert "only a held or confirmed booking can be cancelled" in response.get_data(as_text=True)
    assert audit_entries() == []


def test_a_good_reason_is_saved_and_audited_as_the_operator(operator_client, world, factory):
    booking = paid_booking(world.charger.connectors[1], factory.user(), status="CONFIRMED")
    response = operator_client.post(f"/admin/bookings/{booking.id}/take-over", data={"reason": "  staff card "})
    assert response.status_code == 302
    [entry] = audit_entries()
    assert (entry.action, entry.user_id, entry.via) == ("booking.take_over", world.operator.id, "console")
    assert entry.after["reason"] == "staff card" and entry.after["status"] == "CANCELLED"


@pytest.mark.both_dbs
def test_the_longest_reason_staff_may_give_cancels_the_booking_and_is_kept_whole(operator_client, world, factory):
    """150 characters are allowed; the booking's end reason says who cancelled and why (on PostgreSQL a reason
    over the column's length failed the whole cancel)."""
    booking = paid_booking(world.charger.connectors[1], factory.user(), status="CONFIRMED")
    reason = "The site's transformer is being replaced; " + "x" * (150 - 42)
    response = operator_client.post(f"/admin/bookings/{booking.id}/cancel", data={"reason": reason})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    db.session.expire_all()
    cancelled = db.session.get(Booking, booking.id)
    assert cancelled.status == "CANCELLED"
    assert cancelled.end_reason == f"cancelled by operator: {reason}"
