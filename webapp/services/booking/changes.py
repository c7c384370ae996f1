"""Changes while charging: switch the charging mode, raise or lower the quota.

`preview` shows what a change gives (power, finish, price, how much more to authorise) before the driver
confirms; `apply` makes it: a raise that the authorisation no longer covers tops it up first through the
payment path (an incremental authorisation; declined: nothing changes), a lower quota moves the quota stop
earlier (at once when it is already delivered), and the station is re-planned in a job (`smart.replan_soon`).
Each mode's energy is billed at that mode's price (`Booking.mode_segments`).
"""
from dataclasses import dataclass

from sqlalchemy import func, select

from ...extensions import db
from ...models import Booking, Payment, User
from . import modes, trail
from .bookings import QUOTA_LIMITS_KWH, get_for_user
from ..charging import lifecycle, smart
from ..money import payments, pricing
from ..errors import Conflict, InvalidInput, PaymentFailed


@dataclass(frozen=True)
class Preview:
    booking: Booking
    mode: str
    quota_kwh: float
    floor_kw: float | None
    offer: modes.Offer
    needed: int  # the authorisation the changed session needs
    top_up: int  # how much more than is authorised now (0: covered)

    @property
    def changed(self) -> bool:
        b = self.booking
        return (self.mode, self.quota_kwh, self.floor_kw) != (b.charging_mode, b.quota_kwh, b.solar_floor_kw)


def _charging(user: User, booking_id: int, lock: bool = False) -> Booking:
    booking = get_for_user(user, booking_id, lock=lock)
    session = booking.session
    if booking.status != "CHARGING" or session is None or session.stopped_at is not None:
        raise Conflict(f"This booking is {booking.status.lower()}: only a charging session can be changed.")
    if session.remote_stop_sent:
        raise Conflict("The charge is already stopping: it can no longer be changed.")
    return booking


def preview(user: User, booking_id: int, mode: str | None = None, quota_kwh: float | None = None,
            floor_kw: float | None = None, lock: bool = False) -> Preview:
    """What the change would give; InvalidInput (naming the field) when it cannot be made."""
    booking = _charging(user, booking_id, lock)
    mode = mode or booking.charging_mode
    quota = booking.quota_kwh if quota_kwh is None else round(quota_kwh, 1)
    if quota is None or not QUOTA_LIMITS_KWH[0] <= quota <= QUOTA_LIMITS_KWH[1]:
        raise InvalidInput(f"Choose between {QUOTA_LIMITS_KWH[0]} and {QUOTA_LIMITS_KWH[1]} kWh.",
                           {"field": "quota_kwh"})
    if floor_kw is None and mode == modes.SOLAR:
        floor_kw = booking.solar_floor_kw
    chosen = modes.choose(booking, mode, quota, floor_kw)
    floor = modes.check_floor(booking, mode, floor_kw)
    delivered = booking.session.energy_wh
    offer = modes.Offer(chosen.mode, True, chosen.price_per_kwh, chosen.expected_kw,
                        modes.finish_minutes(booking, quota, chosen.expected_kw, delivered), chosen.authorisation)
    needed = pricing.authorisation(booking.connector.charger.station.tariff, quota, chosen.expected_kw, mode)
    return Preview(booking, mode, quota, floor, offer, needed, max(0, needed - booking.amount_authorised))


def apply(user: User, booking_id: int, mode: str | None = None, quota_kwh: float | None = None,
          floor_kw: float | None = None, client_key: str = "") -> Booking:
    """Make the change (see the module); PaymentFailed when the top-up is declined (nothing changed)."""
    seen = preview(user, booking_id, mode, quota_kwh, floor_kw)
    if not seen.changed:
        raise InvalidInput("Nothing to change: that is the mode and quota you have.", {"field": "charging_mode"})
    booking = seen.booking
    if seen.top_up:
        n = db.session.execute(select(func.count()).select_from(Payment).where(
            Payment.booking_id == booking.id, Payment.kind == "increment")).scalar_one() + 1
        key = f"booking-{booking.id}-change-{client_key or n}"
        payment = payments.increment(booking, seen.top_up, key)  # commits; the gateway answers outside it
        if payment.status != "succeeded":
            raise PaymentFailed(f"Your bank would not hold the extra amount ({payment.failure_reason or 'declined'}): "
                                "nothing was changed.", {"payment_id": payment.id, "retryable": True})
    seen = preview(user, booking_id, seen.mode, seen.quota_kwh, seen.floor_kw, lock=True)
    booking, before = seen.booking, trail.snapshot(seen.booking)
    if seen.mode != booking.charging_mode:  # the energy so far stays at the old mode's price
        booking.mode_segments = [*(booking.mode_segments or [[0, booking.charging_mode]]),
                                 [booking.session.energy_wh, seen.mode]]
    booking.charging_mode, booking.quota_kwh, booking.solar_floor_kw = seen.mode, seen.quota_kwh, seen.floor_kw
    booking.topup_at_wh = payments.topup_threshold(booking)
    trail.log("booking.change", booking, before)
    lifecycle.session_progress(booking.session)  # a quota lowered to what is delivered stops now
    if smart.capable(booking.connector.charger):
        smart.replan_soon(booking.connector.charger.station_id)  # a job, once this commits
    db.session.commit()
    return booking
