"""Paying for a hold from an app: the client's Idempotency-Key, scoped to the driver and the booking, and an
optional check that the amount the app showed is the amount we will authorise. The rules are `bookings.pay`."""
from ...models import Booking, Payment, User
from . import bookings, slot_pay
from ..money import payments
from ..errors import DomainError


class AmountMismatch(DomainError):
    """The app showed a different amount than the quota costs now (prices changed, or a bug in the app)."""

    status, code = 400, "amount_mismatch"


def payment_key(user_id: int, booking_id: int, client_key: str) -> str:
    """A gateway idempotency key that one driver's key can never collide with another's, nor another booking's."""
    return f"api:{user_id}:{booking_id}:{client_key}"


def pay(user: User, booking_id: int, quota_kwh: float, method: str, details: str, client_key: str,
        expected_amount: int | None = None, mode: str = "fast",
        floor_kw: float | None = None) -> tuple[Booking, Payment]:
    """Authorise the quota in the chosen charging mode and confirm the booking; the same key twice never
    charges twice."""
    if expected_amount is not None:
        booking = bookings.get_for_user(user, booking_id)
        if booking.status in ("HELD", "SLOT_HELD"):
            amount = slot_pay.amount_for(booking, quota_kwh, mode, floor_kw)
            if amount != expected_amount:
                raise AmountMismatch(f"The amount for {quota_kwh:g} kWh is {amount}, not {expected_amount}.",
                                     {"expected": amount, "currency": booking.currency})
    booking = slot_pay.pay_any(user, booking_id, quota_kwh, method.lower(), details,
                               payment_key(user.id, booking_id, client_key), mode, floor_kw)
    return booking, payments.authorisation_of(booking)
