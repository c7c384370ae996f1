"""The console's slots (issue 16 point 5): upcoming slots on the station and charger pages, a station's day view
(connectors x hours on the station's clock, zone named, a date picker), moving and cancelling a slot from the
booking page, and maintenance windows over booked slots (warn with the list, confirm cancels and refunds).
Operators act on their own stations only; drivers are refused."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import AuditLog, Booking, MaintenanceWindow, Notification
from webapp.services.booking import slot_pay, slots
from webapp.timeutil import utcnow

CARD = "4242 4242 4242 4242"


def later_at(hour: int, minute: int = 0):
    """The day after tomorrow at hour:minute UTC (clear of the world's maintenance window tomorrow)."""
    return (utcnow() + timedelta(days=2)).replace(hour=hour, minute=minute, second=0, microsecond=0)


def ist(dt) -> str:
    """The datetime-local value of a UTC time on the stations' clock (Asia/Kolkata, +05:30)."""
    return (dt + timedelta(hours=5, minutes=30)).strftime("%Y-%m-%dT%H:%M")


def booked(factory, station, start, connector=None, paid=True) -> Booking:
    driver = factory.user(name="Sam Slot")
    booking = slots.book_slot(driver, station.id, start, minutes=60,
                              connector_id=connector.id if connector else None)
    if paid:
        booking = slot_pay.pay_slot(driver, booking.id, 10, "card", CARD, f"pay-{booking.id}")
    return booking


@pytest.fixture
def slot(world, factory):
    return booked(factory, world.station, later_at(4), world.connector)  # 09:30 IST


def test_station_and_charger_pages_list_upcoming_slots_in_station_time(operator_client, world, factory, slot):
    unpaid = booked(factory, world.station, later_at(6), world.charger.connectors[1], paid=False)
    page = operator_client.get(f"/admin/stations/{world.station.id}").get_data(as_text=True)
    assert f'data-slot="{slot.id}"' in page and f'data-slot="{unpaid.id}"' in page
    assert ist(later_at(4)).replace("T", " ") + " IST" in page and "(Asia/Kolkata)" in page
    assert page.index(f'data-slot="{slot.id}"') < page.index(f'data-slot="{unpaid.id}"')  # soonest first
    page = operator_client.get(f"/admin/chargers/{world.charger.id}").get_data(as_text=True)
    assert f'data-slot="{slot.id}"' in page and ist(later_at(4)).replace("T", " ") + " IST" in page
    other = operator_client.get(f"/admin/chargers/{world.other_charger.id}")
    assert other.status_code == 403


def test_day_view_draws_connectors_by_hour_with_slots_holds_and_maintenance(operator_client, world, factory, slot):
    unpaid = booked(factory, world.station, later_at(6), world.charger.connectors[1], paid=False)
    db.session.delete(db.session.get(MaintenanceWindow, world.window.id))  # the world's (now + 1 day) may fall on this day
    db.session.add(MaintenanceWindow(charger_id=world.charger.id, starts_at=later_at(10), ends_at=later_at(11),
                                     reason="firmware"))
    db.session.commit()
    day = ist(later_at(4))[:10]
    response = operator_client.get(f"/admin/stations/{world.station.id}/day?date={day}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="day-zone">Asia/Kolkata<' in page
    assert page.count("<th scope=\"col\">") == 24 and "<th scope=\"col\">09:00</th>" in page
    assert f'data-kind="slot" data-slot="{slot.id}"' in page and f'data-kind="unpaid" data-slot="{unpaid.id}"' in page
    assert 'data-kind="maintenance"' in page and "firmware" in page
    assert '<span class="badge day-slot">booked</span> Sam Slot' in page
    assert page.count('class="day-maintenance"') == 2 * 2  # both connectors, 15:30 to 16:30 IST spans two hours
    assert f'value="{day}"' in page  # the date picker shows the day
    empty = operator_client.get(f"/admin/stations/{world.station.id}/day?date=2030-01-01").get_data(as_text=True)
    assert "Nothing booked, held or planned this day." in empty
    refused = operator_client.get(f"/admin/stations/{world.station.id}/day?date=tomorrow").get_data(as_text=True)
    assert "(ignored)" in refused and "day-grid" in refused  # today instead, the refusal next to the field


def test_day_view_is_staff_only_and_scoped(as_user, world):
    url = f"/admin/stations/{world.station.id}/day"
    assert as_user(world.driver).get(url).status_code == 403
    assert as_user(world.other_operator).get(url).status_code == 403
    assert as_user(world.admin).get(url).status_code == 200


def move(client, booking, start, connector_id, reason="cable swap"):
    return client.post(f"/admin/bookings/{booking.id}/slot/move",
                       data={"starts_at": ist(start), "connector_id": str(connector_id), "reason": reason})


def test_operator_moves_a_slot_and_the_driver_is_told(operator_client, world, slot):
    page = operator_client.get(f"/admin/bookings/{slot.id}").get_data(as_text=True)
    assert 'id="slot"' in page and f'value="{ist(later_at(4))}"' in page  # the form starts from where it is
    target = world.charger.connectors[1]
    response = move(operator_client, slot, later_at(7), target.id)
    assert response.status_code == 302
    moved = db.session.get(Booking, slot.id)
    db.session.refresh(moved)
    assert (moved.slot_start, moved.connector_id) == (later_at(7), target.id)
    note = db.session.execute(select(Notification).where(Notification.kind == "slot_moved")).scalar_one()
    assert note.user_id == slot.user_id and "12:30 (Asia/Kolkata)" in note.body and "cable swap" in note.body
    entry = db.session.execute(select(AuditLog).where(AuditLog.action == "booking.slot_move")).scalar_one()
    assert entry.user_id == world.operator.id


def test_a_move_onto_a_taken_time_is_refused_on_the_form(operator_client, world, factory, slot):
    other = booked(factory, world.station, later_at(7), world.connector)
    response = move(operator_client, slot, later_at(7, 30), world.connector.id)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert 'id="f-starts_at-error"' in page and "is not free then" in page
    assert f'value="{ist(later_at(7, 30))}"' in page  # what was typed stays
    db.session.rollback()
    assert db.session.get(Booking, slot.id).slot_start == later_at(4) and other.id
    response = move(operator_client, slot, later_at(8), world.connector.id, reason="")
    assert response.status_code == 422 and "Give a reason" in response.get_data(as_text=True)


def test_operator_cancels_a_slot_with_everything_released(operator_client, world, slot):
    response = operator_client.post(f"/admin/bookings/{slot.id}/slot/cancel", data={"reason": "charger damaged"})
    assert response.status_code == 302
    cancelled = db.session.get(Booking, slot.id)
    db.session.refresh(cancelled)
    assert cancelled.status == "CANCELLED" and cancelled.amount_refunded == cancelled.amount_authorised > 0
    note = db.session.execute(select(Notification).where(Notification.kind == "slot_cancelled")).scalar_one()
    assert "charger damaged" in note.body and "released" in note.body
    again = operator_client.post(f"/admin/bookings/{slot.id}/slot/cancel", data={"reason": "twice"})
    assert again.status_code == 409 and "only a slot that has not started" in again.get_data(as_text=True)


def test_slot_actions_are_refused_to_others(as_user, world, factory):
    far = booked(factory, world.other_station, later_at(4), world.other_connector)
    for user in (world.driver, world.operator):
        client = as_user(user)
        assert client.post(f"/admin/bookings/{far.id}/slot/cancel", data={"reason": "x"}).status_code == 403
        assert move(client, far, later_at(6), world.other_connector.id).status_code == 403
    db.session.refresh(far)
    assert far.status == "SCHEDULED" and far.slot_start == later_at(4)


def plan(client, target, start, end, confirm=None):
    data = {"target": target, "starts_at": ist(start), "ends_at": ist(end), "reason": "new cable"}
    if confirm is not None:
        data["confirm_slots"] = confirm
    return client.post("/admin/maintenance/new", data=data)


def test_maintenance_over_booked_slots_warns_then_cancels_on_confirm(operator_client, world, factory, slot):
    outside = booked(factory, world.station, later_at(9), world.connector)
    response = plan(operator_client, f"charger:{world.charger.id}", later_at(3), later_at(5))
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and 'id="affected-slots"' in page and f'data-slot="{slot.id}"' in page
    assert f'data-slot="{outside.id}"' not in page and "Sam Slot" in page
    assert f'name="confirm_slots" type="hidden" value="{slot.id}"' in page
    assert "Plan window and cancel 1 slot(s)" in page
    assert db.session.execute(select(MaintenanceWindow).where(MaintenanceWindow.reason == "new cable")).first() is None
    response = plan(operator_client, f"charger:{world.charger.id}", later_at(3), later_at(5), confirm=str(slot.id))
    assert response.status_code == 302
    db.session.expire_all()
    cancelled = db.session.get(Booking, slot.id)
    assert cancelled.status == "CANCELLED" and cancelled.amount_refunded == cancelled.amount_authorised > 0
    note = db.session.execute(select(Notification).where(Notification.kind == "slot_cancelled")).scalar_one()
    assert note.user_id == slot.user_id and "new cable" in note.body
    assert db.session.get(Booking, outside.id).status == "SCHEDULED"
    entry = db.session.execute(select(AuditLog).where(AuditLog.action == "booking.slot_cancel")).scalar_one()
    assert entry.user_id == world.operator.id and entry.after["reason"] == "new cable"


def test_maintenance_without_booked_slots_plans_at_once(operator_client, world, factory):
    booked(factory, world.station, later_at(9), world.connector)
    response = plan(operator_client, f"station:{world.station.id}", later_at(3), later_at(5))
    assert response.status_code == 302
    assert db.session.execute(select(Notification).where(Notification.kind == "slot_cancelled")).first() is None


def test_maintenance_over_slots_is_refused_to_non_staff_and_other_operators(as_user, world, slot):
    assert plan(as_user(world.driver), f"station:{world.station.id}", later_at(3), later_at(5),
                confirm=str(slot.id)).status_code == 403
    assert plan(as_user(world.other_operator), f"station:{world.station.id}", later_at(3), later_at(5),
                confirm=str(slot.id)).status_code == 403
    db.session.refresh(slot)
    assert slot.status == "SCHEDULED"
