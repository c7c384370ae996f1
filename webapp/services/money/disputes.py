"""Staff actions on a driver's money: refunding a payment (disputes). Cancelling a booking is booking's
(`booking.reservations.cancel_by_staff`)."""
from sqlalchemy import select

from ...extensions import db
from ...models import Payment
from . import payments
from ..platform import audit
from ..errors import Conflict, InvalidInput, PaymentFailed

REFUND_FIELDS = ("id", "booking_id", "kind", "amount", "currency", "status", "provider_ref", "reason")


def refundable(payment: Payment) -> int:
    """How much of a capture can still be refunded (0 for anything else)."""
    if payment.kind != "capture" or payment.status != "succeeded" or payment.booking is None:
        return 0
    booking = payment.booking
    return max(0, booking.amount_captured - payments._refunded_of_capture(booking))


def refund_key(payment_id: int, form_key: str) -> str:
    """The refund's idempotency key: one per submitted form (the form carries a key made when it was shown)."""
    form_key = (form_key or "").strip()
    if not 16 <= len(form_key) <= 40 or not form_key.isalnum():
        raise InvalidInput("This refund form is out of date. Reload the page and submit it again.",
                           {"field": "idempotency_key"})
    return f"dispute:{payment_id}:{form_key}"


def already_refunded(payment_id: int, form_key: str) -> Payment | None:
    """The refund a form already made (a double submit), if any."""
    try:
        key = refund_key(payment_id, form_key)
    except InvalidInput:
        return None
    return db.session.execute(select(Payment).where(Payment.idempotency_key == key)).scalar_one_or_none()


def refund_payment(payment_id: int, amount: int, reason: str, by_user_id: int, form_key: str) -> Payment:
    """Refund all or part of a captured payment, with a reason, once per submitted form; raises unless the
    gateway confirms it."""
    reason = (reason or "").strip()
    if not reason or len(reason) > 150:
        raise InvalidInput("Give a reason for the refund (at most 150 characters).", {"field": "reason"})
    payment = db.session.execute(select(Payment).where(Payment.id == payment_id).with_for_update()).scalar_one()
    if payment.kind != "capture" or payment.status != "succeeded" or payment.booking is None:
        raise Conflict("Only a successful capture can be refunded.")
    limit = refundable(payment)
    if not 0 < amount <= limit:
        raise InvalidInput(f"The refund must be between 0.01 and {limit / 100:.2f} {payment.currency}.",
                           {"field": "amount"})
    key = refund_key(payment_id, form_key)
    before = {"refundable": limit, "amount_refunded": payment.booking.amount_refunded}
    try:
        refund = payments.refund(payment.booking, amount, f"dispute: {reason}", key, by_user_id)
    except PaymentFailed as exc:
        db.session.rollback()
        raise Conflict(exc.message)
    if refund.status == "succeeded":  # with the driver's notification; the refund row itself is the gateway's record
        payment = db.session.get(Payment, payment_id)
        after = {"refundable": refundable(payment), "amount_refunded": payment.booking.amount_refunded,
                 **{f"refund_{k}" if k == "id" else k: v for k, v in audit.snapshot(refund, REFUND_FIELDS).items()}}
        audit.log("payment.refund", "payment", payment_id, before, after)
    db.session.commit()
    if refund.status != "succeeded":
        raise PaymentFailed(f"The gateway did not refund: {refund.failure_reason or refund.status}.",
                            {"payment_id": refund.id})
    return refund
