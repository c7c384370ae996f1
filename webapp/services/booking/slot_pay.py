"""Paying for a slot booked ahead: the same gateway path as a hold (declines can be retried while the slot is
held), SLOT_HELD -> SCHEDULED, and the slot's timers planned (slot_life). The pre-authorisation is what the
operator chose on the tariff: the quota's price (the quota chosen when paying), or a fixed deposit (the quota
is still the driver's target; a session costing more than the deposit is topped up as any other)."""
from ...extensions import db
from ...models import Booking, User
from ...timeutil import utcnow, zoned
from . import bookings, slot_gaps, slot_life, trail
from ..money import payments
from ..platform import timers
from ..errors import Conflict

SLOT_UNPAID = "SLOT_HELD"


def pay_any(user: User, booking_id: int, quota_kwh: float, method: str, details: str, key: str,
            mode: str = "fast", floor_kw: float | None = None) -> Booking:
    """Pay a hold (bookings.pay, in the chosen charging mode) or a slot (pay_slot, Fast: a slot's mode is not
    offered yet), whichever the booking is."""
    booking = bookings.get_for_user(user, booking_id)
    if booking.slot_start is None:
        return bookings.pay(user, booking_id, quota_kwh, method, details, key, mode, floor_kw)
    return pay_slot(user, booking_id, quota_kwh, method, details, key)


def _unpaid_slot(user: User, booking_id: int) -> Booking:
    """The locked booking; an unpaid slot whose payment time has passed is expired (and refused) here."""
    booking = bookings.get_for_user(user, booking_id, lock=True)
    if booking.status == SLOT_UNPAID and booking.hold_expires_at < utcnow():
        slot_gaps.expire_stale_slots(Booking.id == booking.id)
        db.session.commit()  # the refusal that follows must not roll the expiry back
        booking = bookings.get_for_user(user, booking_id, lock=True)
    return booking


def deposit_of(booking: Booking) -> int | None:
    """The deposit a slot pre-authorises, or None when its tariff takes the quota's price."""
    tariff = booking.connector.charger.station.tariff
    return tariff.slot_deposit if tariff is not None and tariff.slot_payment == "deposit" else None


def amount_for(booking: Booking, quota_kwh: float, mode: str = "fast", floor_kw: float | None = None) -> int:
    """What paying this booking for `quota_kwh` pre-authorises: a slot's deposit, else the quota's price."""
    deposit = deposit_of(booking) if booking.slot_start is not None else None
    if deposit is not None:
        bookings.quote(booking, quota_kwh)  # the quota is still checked
        return deposit
    return bookings.quote(booking, quota_kwh, mode, floor_kw)


def pay_slot(user: User, booking_id: int, quota_kwh: float, method: str, details: str, key: str) -> Booking:
    """Authorise the slot's quota and schedule it; an unpaid slot that ran out of time is refused."""
    booking = _unpaid_slot(user, booking_id)
    if booking.status == "SCHEDULED" and payments.authorisation_of(booking) is not None:
        return booking  # a double submit
    if booking.status != SLOT_UNPAID:
        raise Conflict("Your slot was not paid in time; book it again." if booking.status == "EXPIRED" else
                       f"This booking is {booking.status.lower()} and cannot be paid.")
    bookings.check_payment_input(method, key)
    amount = amount_for(booking, quota_kwh)  # the deposit, or what the driver buys now
    booking.quota_kwh = quota_kwh
    payments.authorise(booking, amount, method, details, key)  # commits: the row lock is gone
    booking = _unpaid_slot(user, booking_id)
    if booking.status == "SCHEDULED":
        return booking  # a concurrent submission scheduled it with the same authorisation
    if booking.status != SLOT_UNPAID:
        payments.settle(booking, 0)
        raise Conflict("Your slot's payment time ran out while the payment was processed; the payment was "
                       "released. Book the slot again.")
    before, station = trail.snapshot(booking), booking.connector.charger.station
    booking.status, booking.confirmed_at = "SCHEDULED", utcnow()
    booking.arrive_by = booking.slot_start + timers.duration("ARRIVAL_GRACE")  # the grace counts from the start
    slot_life.plan(booking)
    return bookings.announce_paid(
        booking, before, method, "slot_booked", "Slot booked", f"{booking.connector.label} at {station.name} is "
        f"yours on {zoned(booking.slot_start, station.timezone, '%d %b at %H:%M')} ({station.timezone}).")
