"""Money: authorise at confirmation, capture what was delivered, refund or void the rest.

Every gateway call is recorded first as a pending Payment row whose idempotency key is unique, so a
double submit or a retried job can never charge twice: the second attempt finds the row.
"""
import logging
import uuid

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Booking, Payment
from . import gateway, notifications
from .errors import PaymentFailed

log = logging.getLogger(__name__)


def _existing(key: str) -> Payment | None:
    return db.session.execute(select(Payment).where(Payment.idempotency_key == key)).scalar_one_or_none()


def _record(booking: Booking | None, user_id: int, kind: str, amount: int, method: str, key: str,
            call, reason: str | None = None) -> Payment:
    """Insert the pending row (unique key), call the gateway once, store the outcome."""
    found = _existing(key)
    if found is not None and found.status != "pending":
        return found
    if found is None:
        payment = Payment(booking_id=booking.id if booking else None, user_id=user_id, kind=kind,
                          amount=amount, currency=booking.currency if booking else "INR", method=method,
                          status="pending", idempotency_key=key, reason=reason)
        try:
            with db.session.begin_nested():
                db.session.add(payment)
        except IntegrityError:
            return _existing(key)
    else:
        payment = found
    try:
        result = call()
    except gateway.GatewayError as exc:
        result = gateway.GatewayResult("failed", reason=str(exc) or "Gateway unreachable")
    payment.status = result.status
    payment.provider_ref = result.reference
    payment.failure_reason = result.reason
    db.session.flush()
    return payment


def authorisation_of(booking: Booking) -> Payment | None:
    return next((p for p in booking.payments if p.kind == "authorise" and p.status == "succeeded"), None)


def authorise(booking: Booking, amount: int, method: str, details: str, key: str) -> Payment:
    """Pre-authorise `amount` for a booking; raises PaymentFailed (with the gateway's reason) on failure."""
    payment = _record(booking, booking.user_id, "authorise", amount, method, key,
                      lambda: gateway.get().authorise(amount, booking.currency, method, details, key))
    if payment.status != "succeeded":
        db.session.commit()  # keep the failed attempt on record
        notifications.notify(booking.user_id, "payment_failed", "Payment failed",
                             payment.failure_reason or "The payment did not go through.",
                             link=f"/bookings/{booking.id}")
        db.session.commit()
        raise PaymentFailed(payment.failure_reason or "The payment did not go through.",
                            {"payment_id": payment.id, "retryable": True})
    booking.amount_authorised = amount
    return payment


def settle(booking: Booking, total: int) -> None:
    """Capture `total` (capped at what was authorised), then refund the rest; a failed capture is a debt."""
    auth = authorisation_of(booking)
    if auth is None:
        return
    capture_amount = min(total, auth.amount)
    if capture_amount > 0:
        cap = _record(booking, booking.user_id, "capture", capture_amount, auth.method,
                      f"booking-{booking.id}-capture",
                      lambda: gateway.get().capture(auth.provider_ref, capture_amount,
                                                    f"booking-{booking.id}-capture"))
        if cap.status == "succeeded":
            booking.amount_captured = capture_amount
            notifications.notify(booking.user_id, "payment_captured", "Payment captured",
                                 f"{_money(capture_amount, booking.currency)} charged for booking #{booking.id}.",
                                 link=f"/bookings/{booking.id}", dedupe_key=f"captured-{booking.id}")
        else:
            notifications.notify(booking.user_id, "payment_failed", "Payment could not be collected",
                                 "Settle the outstanding amount before your next booking.",
                                 link="/account/balance", dedupe_key=f"capture-failed-{booking.id}")
            return
    rest = auth.amount - capture_amount
    if rest > 0:
        kind = "void" if capture_amount == 0 else "refund"
        key = f"booking-{booking.id}-{kind}"
        call = ((lambda: gateway.get().void(auth.provider_ref, key)) if kind == "void"
                else (lambda: gateway.get().refund(auth.provider_ref, rest, key)))
        ref = _record(booking, booking.user_id, kind, rest, auth.method, key, call, reason="unused authorisation")
        if ref.status == "succeeded":
            booking.amount_refunded += rest
            notifications.notify(booking.user_id, "payment_refunded", "Refunded",
                                 f"{_money(rest, booking.currency)} of the pre-authorisation released.",
                                 link=f"/bookings/{booking.id}", dedupe_key=f"refunded-{booking.id}")


def refund(booking: Booking, amount: int, reason: str, by_user_id: int | None = None) -> Payment:
    """Refund part or all of what was captured (payment disputes)."""
    auth = authorisation_of(booking)
    refundable = booking.amount_captured - _refunded_of_capture(booking)
    if auth is None or amount <= 0 or amount > refundable:
        raise PaymentFailed(f"Refund must be between 1 and {refundable} ({booking.currency} minor units)")
    key = f"booking-{booking.id}-dispute-{uuid.uuid4().hex[:8]}"
    payment = _record(booking, booking.user_id, "refund", amount, auth.method, key,
                      lambda: gateway.get().refund(auth.provider_ref, amount, key), reason=reason)
    if payment.status == "succeeded":
        booking.amount_refunded += amount
        notifications.notify(booking.user_id, "payment_refunded", "Refund issued",
                             f"{_money(amount, booking.currency)} refunded: {reason}", link=f"/bookings/{booking.id}")
    return payment


def _refunded_of_capture(booking: Booking) -> int:
    return sum(p.amount for p in booking.payments
               if p.kind == "refund" and p.status == "succeeded" and p.reason != "unused authorisation")


def outstanding_debt(user_id: int) -> int:
    """Captures that failed and were not settled since: they block the next booking."""
    failed = db.session.execute(select(func.coalesce(func.sum(Payment.amount), 0)).where(
        Payment.user_id == user_id, Payment.kind == "capture", Payment.status == "failed")).scalar_one()
    settled = db.session.execute(select(func.coalesce(func.sum(Payment.amount), 0)).where(
        Payment.user_id == user_id, Payment.kind == "settle", Payment.status == "succeeded")).scalar_one()
    return max(0, failed - settled)


def settle_debt(user_id: int, method: str, details: str, key: str) -> Payment:
    """Pay the outstanding debt in one charge."""
    amount = outstanding_debt(user_id)
    if amount <= 0:
        raise PaymentFailed("Nothing to settle")
    payment = _record(None, user_id, "settle", amount, method, key,
                      lambda: gateway.get().charge(amount, method, details, key))
    db.session.commit()
    if payment.status != "succeeded":
        raise PaymentFailed(payment.failure_reason or "The payment did not go through.", {"retryable": True})
    return payment


def _money(amount: int, currency: str) -> str:
    from ..money import format_money

    return format_money(amount, currency)
