"""Staff and the slots booked ahead: the slots coming up at a station or a charger, moving one to another free
time or connector, and cancelling one with its whole pre-authorisation released and a notice to the driver.

Every change is audited (`trail.log`) in the change's own transaction. A move is one UPDATE of the slot's
row: on PostgreSQL the exclusion constraint refuses an overlap (Conflict, 409), on SQLite the check below and
the update share one IMMEDIATE transaction. Maintenance cancelling the slots it covers goes through `cancel`.
"""
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import SLOT_STATUSES, Booking, Charger, Connector, Station
from ...timeutil import UTC, utcnow
from . import slot_gaps, slot_life, slot_times, slots, trail
from .releases import release_reservation
from ..fleet import hours
from ..money import payments
from ..platform import notifications, timers
from ..errors import Conflict, InvalidInput, NotFound, StationClosed

#: A slot staff may still move: booked, not yet begun (its start handling has not made it a live booking).
MOVABLE = ("SLOT_HELD", "SCHEDULED")
#: A slot staff may cancel with everything released: not yet charging.
CANCELLABLE = MOVABLE + ("HELD", "CONFIRMED")


def upcoming(connector_ids: list[int], limit: int = 50) -> list[Booking]:
    """Slots on these connectors that have not ended yet (booked, unpaid or in progress), soonest first."""
    if not connector_ids:
        return []
    return list(db.session.execute(
        select(Booking).where(Booking.connector_id.in_(connector_ids), Booking.slot_start.is_not(None),
                              Booking.status.in_(SLOT_STATUSES), Booking.slot_end > utcnow())
        .order_by(Booking.slot_start, Booking.connector_id).limit(limit)).scalars())


def upcoming_at_station(station: Station, limit: int = 50) -> list[Booking]:
    """The station's coming slots, on every one of its connectors."""
    ids = db.session.execute(select(Connector.id).join(Charger).where(Charger.station_id == station.id)).scalars()
    return upcoming(list(ids), limit)


def upcoming_at_charger(charger: Charger, limit: int = 50) -> list[Booking]:
    """The charger's coming slots."""
    return upcoming([c.id for c in charger.connectors], limit)


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason or len(reason) > 150:
        raise InvalidInput("Give a reason (at most 150 characters); the driver sees it.", {"field": "reason"})
    return reason


def _locked_slot(booking_id: int) -> Booking:
    """The slot's row locked, an unpaid one whose payment time has passed expired first (NotFound: no slot)."""
    slot_gaps.expire_stale_slots(Booking.id == booking_id)
    booking = db.session.execute(select(Booking).where(Booking.id == booking_id).with_for_update()
                                 .execution_options(populate_existing=True)).scalar_one_or_none()
    if booking is None or booking.slot_start is None:
        raise NotFound("No such slot.")
    return booking


def _when(booking: Booking) -> str:
    station = booking.connector.charger.station
    return f"{hours.local_now(station, booking.slot_start):%d %b %H:%M} ({station.timezone})"


def _check_target(booking: Booking, start: datetime, connector_id: int) -> tuple[Connector, datetime]:
    """The connector and end a move asks for, refused (naming the field) when it cannot be."""
    station = booking.connector.charger.station
    target = next((c for c in slots._in_service(station) if c.id == connector_id), None)
    if target is None:
        raise InvalidInput("Choose a connector in service at this station.", {"field": "connector_id"})
    cfg = slot_times.settings()
    if not slot_times.on_step(start, cfg.step):
        raise InvalidInput(f"Slots start every {cfg.step.seconds // 60} minutes.", {"field": "starts_at"})
    if start < utcnow():
        raise InvalidInput("That time has passed. Choose a time ahead.", {"field": "starts_at"})
    end = start + (booking.slot_end - booking.slot_start)
    day = slot_times.local_date(station, start)
    if not slot_times.inside(slot_times.open_intervals(station, day, day + timedelta(days=2)), start, end):
        raise StationClosed("Station is closed at that time. Choose a time inside its opening hours.",
                            {"field": "starts_at"})
    if start == booking.slot_start and target.id == booking.connector_id:
        raise InvalidInput("That is where the slot is already. Choose another time or connector.",
                           {"field": "starts_at"})
    clear = end + cfg.changeover
    busy = slots._busy([target], start, clear, exclude_booking=booking.id)[target.id]
    if slots._clashes(busy, start, clear):
        raise Conflict(f"{target.label} is not free then (another slot, its changeover or maintenance). "
                       "Choose another time or connector.", {"field": "starts_at"})
    return target, end


def move(booking_id: int, start: datetime, connector_id: int, reason: str) -> Booking:
    """Move a slot not yet begun to `start` (UTC) on `connector_id` of the same station, keeping its length and
    payment; the driver is told. Conflict when the time is taken (the database decides), InvalidInput or
    StationClosed (naming the field) for a time or connector that cannot be."""
    reason = _reason(reason)
    if start.tzinfo is None:
        raise InvalidInput("Give the time with its offset.", {"field": "starts_at"})
    start = start.astimezone(UTC)
    booking = _locked_slot(booking_id)
    if booking.status not in MOVABLE:
        raise Conflict(f"This slot is {booking.status.lower()}; only a slot that has not begun can move.")
    if booking.reservation_id is not None and booking.reservation_status in ("pending", "Accepted"):
        raise Conflict("The charger already holds a reservation for this slot; cancel the slot instead.")
    target, end = _check_target(booking, start, connector_id)
    before, old = trail.snapshot(booking), _when(booking)
    old_start = booking.slot_start
    booking.connector_id, booking.connector = target.id, target
    booking.slot_start, booking.slot_end = start, end
    booking.slot_clear_at = end + slot_times.settings().changeover
    if booking.status == "SCHEDULED":
        booking.arrive_by = start + timers.duration("ARRIVAL_GRACE")
    try:
        db.session.flush()
    except IntegrityError:  # PostgreSQL's exclusion constraint: a slot was booked there meanwhile
        db.session.rollback()
        raise Conflict("Sorry, that time was just booked. Choose another time or connector.",
                       {"field": "starts_at"}) from None
    if booking.status == "SCHEDULED":
        slot_life.plan(booking)  # the new times' jobs; the old ones, when they fire, re-check and do nothing
    trail.log("booking.slot_move", booking, before, reason=reason, slot_start_before=old_start.isoformat(),
              slot_start=start.isoformat(), slot_end=end.isoformat())
    notifications.notify(booking.user_id, "slot_moved", "Your slot was moved by the operator",
                         f"{old} is now {target.label} at {_when(booking)}: {reason}. Your payment is unchanged.",
                         link=f"/bookings/{booking.id}")
    db.session.commit()
    return booking


def _end(booking: Booking, action: str, end_reason: str, note: tuple[str, str, str], **extra) -> None:
    """End one locked slot: CANCELLED, audited, the driver told, the reservation cancelled, everything
    authorised released (settling commits)."""
    before = trail.snapshot(booking)
    booking.status, booking.ended_at, booking.end_reason = "CANCELLED", utcnow(), end_reason
    trail.log(action, booking, before, **extra)
    kind, title, body = note
    notifications.notify(booking.user_id, kind, title, body, link=f"/bookings/{booking.id}",
                         dedupe_key=f"{action}-{booking.id}")
    release_reservation(booking)
    if payments.authorisation_of(booking) is not None:
        payments.settle(booking, 0)  # a full release: nothing was delivered
    db.session.commit()


def cancel(booking_id: int, reason: str) -> Booking:
    """Staff cancel a slot that has not charged: the whole pre-authorisation released, the driver told."""
    reason = _reason(reason)
    booking = _locked_slot(booking_id)
    if booking.status not in CANCELLABLE:
        raise Conflict(f"This slot is {booking.status.lower()}: only a slot that has not started charging can "
                       "be cancelled.")
    paid = payments.authorisation_of(booking) is not None
    _end(booking, "booking.slot_cancel", "cancelled by operator",
         ("slot_cancelled", "Your slot was cancelled by the operator",
          f"{booking.connector.label} on {_when(booking)}: {reason}. "
          + ("Your whole pre-authorisation was released." if paid else "Nothing was charged.")), reason=reason)
    return booking


def cancel_for_maintenance(booking_ids: list[int], window_id: int, reason: str) -> int:
    """Cancel the slots a confirmed maintenance window covers (each released in full, its driver told);
    returns how many were cancelled (those that moved on meanwhile are left alone)."""
    done = 0
    for booking_id in booking_ids:
        booking = _locked_slot(booking_id)
        if booking.status not in CANCELLABLE:
            db.session.rollback()
            continue
        _end(booking, "booking.slot_cancel", "maintenance",
             ("slot_cancelled", "Your slot was cancelled for maintenance",
              f"{booking.connector.label} on {_when(booking)} is in maintenance then: {reason or 'planned work'}. "
              "Your whole pre-authorisation was released; book another time."),
             reason=reason or "maintenance", maintenance_window=window_id)
        done += 1
    return done


def slot_or_404(booking_id: int) -> Booking:
    """A booking that is a slot (NotFound otherwise)."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.slot_start is None:
        raise NotFound("No such slot.")
    return booking


def connectors_for(booking: Booking) -> list[Connector]:
    """The in-service connectors of the slot's station (where it may move)."""
    return slots._in_service(booking.connector.charger.station)
