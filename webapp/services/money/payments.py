"""Money: authorise at confirmation, raise the authorisation when a session nears it, capture what was
delivered, release the rest; whatever capture cannot take is owed on the driver's balance (services/money/ledger.py).

Every gateway call follows one protocol (`_record`): the pending Payment row, whose idempotency key is unique,
is committed first (together with what the caller changed so far, so the state change and the intent to pay
commit as one); the gateway is then called with no transaction open and no row locked; the outcome is applied
in a new transaction by a conditional UPDATE of the still-pending row, so it takes effect exactly once, whether
this request, a retry with the same key or the reconciliation job (services/money/reconcile.py) gets there first.
"""
import logging
import math

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import Booking, Payment
from ...money import format_money
from ...timeutil import zoned
from . import gateway, ledger, pricing
from ..platform import notifications
from ..errors import Conflict, PaymentFailed

log = logging.getLogger(__name__)

UNUSED = "unused authorisation"
#: Kinds whose call needs what the driver typed (never stored): a row of these that the gateway never
#: received cannot be re-sent, only closed as failed.
NEEDS_DETAILS = ("authorise", "settle")


def _existing(key: str) -> Payment | None:
    return db.session.execute(select(Payment).where(Payment.idempotency_key == key)).scalar_one_or_none()


def _send(kind: str, amount: int, currency: str, method: str, key: str, auth_ref: str | None,
          details: str | None) -> gateway.GatewayResult | None:
    """One call to the gateway; None when the outcome is unknown (unreachable, or nothing to re-send)."""
    gw = gateway.get()
    try:
        if kind in NEEDS_DETAILS and details is None:
            return gw.lookup(key)
        if kind == "authorise":
            return gw.authorise(amount, currency, method, details, key)
        if kind == "settle":
            return gw.charge(amount, method, details, key)
        if kind == "increment":
            return gw.increment(auth_ref, amount, key)
        if kind == "capture":
            return gw.capture(auth_ref, amount, key)
        if kind == "refund":
            return gw.refund(auth_ref, amount, key)
        return gw.void(auth_ref, key)
    except gateway.GatewayError as exc:  # it may or may not have happened: the reconciliation job asks again
        log.warning("Gateway error on %s %s: %s", kind, key, exc)
        return None


def _record(booking: Booking | None, user_id: int, kind: str, amount: int, method: str, key: str,
            details: str | None = None, reason: str | None = None, auth_ref: str | None = None,
            currency: str | None = None) -> Payment:
    """Commit the pending row, call the gateway outside any transaction, apply the outcome once."""
    found = _existing(key)
    if found is not None and found.status != "pending":
        return found
    currency = currency or (booking.currency if booking is not None else "INR")
    if found is None:
        payment = Payment(booking_id=booking.id if booking is not None else None, user_id=user_id, kind=kind,
                          amount=amount, currency=currency, method=method, status="pending", idempotency_key=key,
                          reason=reason)
        try:
            with db.session.begin_nested():
                db.session.add(payment)
        except IntegrityError:
            found = _existing(key)
            if found is None:  # not the key: another authorisation of this booking is in flight or held
                raise Conflict("A payment for this booking is already being processed.")
            if found.status != "pending":
                return found
            payment = found
    else:
        payment = found
    payment_id = payment.id
    amount, currency, method = payment.amount, payment.currency, payment.method
    db.session.commit()  # the pending row (and the caller's changes) are durable before the gateway hears of it
    result = _send(kind, amount, currency, method, key, auth_ref, details)
    if result is None:
        return db.session.get(Payment, payment_id)
    return apply(payment_id, result)


def apply(payment_id: int, result: gateway.GatewayResult) -> Payment:
    """Record the gateway's answer for a pending payment and its effect on the booking, exactly once."""
    booking_id = db.session.execute(select(Payment.booking_id).where(Payment.id == payment_id)).scalar_one()
    # Lock the booking before the payment row, in the order every other writer takes them.
    booking = db.session.execute(select(Booking).where(Booking.id == booking_id).with_for_update()
                                 ).scalar_one_or_none() if booking_id else None
    won = db.session.execute(
        update(Payment).where(Payment.id == payment_id, Payment.status == "pending")
        .values(status=result.status, provider_ref=result.reference, failure_reason=result.reason)
        .execution_options(synchronize_session=False)).rowcount
    payment = db.session.get(Payment, payment_id, populate_existing=True)
    if won and payment.status == "succeeded":
        _effect(booking, payment)
    db.session.commit()
    return payment


def _effect(booking: Booking | None, payment: Payment) -> None:
    if payment.kind == "settle":
        ledger.spread(payment.user_id, "paid", payment.amount, f"paid:payment:{payment.id}", payment.currency,
                      "balance paid", payment_id=payment.id)
        return
    if booking is None:
        return
    if payment.kind == "authorise":
        booking.amount_authorised = payment.amount
    elif payment.kind == "increment":
        booking.amount_authorised += payment.amount
    elif payment.kind == "capture":
        booking.amount_captured += payment.amount
    elif payment.kind in ("refund", "void"):
        booking.amount_refunded += payment.amount
    if payment.kind in ("authorise", "increment"):
        booking.topup_at_wh = topup_threshold(booking)


def topup_threshold(booking: Booking) -> int | None:
    """The session energy at which the booking's cost reaches AUTH_TOPUP_PERCENT of what is authorised."""
    tariff = booking.connector.charger.station.tariff if booking.connector.charger.station else None
    if tariff is None or not booking.amount_authorised:
        return None
    budget = booking.amount_authorised * current_app.config["AUTH_TOPUP_PERCENT"] / 100
    return pricing.energy_within(tariff, budget, booking.connector.max_power_kw, booking.charging_mode)


def authorisation_of(booking: Booking) -> Payment | None:
    return next((p for p in booking.payments if p.kind == "authorise" and p.status == "succeeded"), None)


def authorise(booking: Booking, amount: int, method: str, details: str, key: str) -> Payment:
    """Pre-authorise `amount` for a booking; raises PaymentFailed (with the gateway's reason) on failure.

    Commits: the booking row lock the caller held is released, so the caller must re-check the booking."""
    live = next((p for p in booking.payments if p.kind == "authorise" and p.status in ("pending", "succeeded")
                 and p.idempotency_key != key), None)
    if live is not None and live.status == "pending":
        raise Conflict("A payment for this booking is already being processed.")
    if live is not None:
        return live  # already authorised by another submission: never authorise twice
    booking_id, user_id = booking.id, booking.user_id
    payment = _record(booking, user_id, "authorise", amount, method, key, details=details)
    if payment.status == "pending":
        raise PaymentFailed("The payment gateway has not answered yet. We will confirm it shortly; do not pay again.",
                            {"payment_id": payment.id, "retryable": False})
    if payment.status != "succeeded":
        notifications.notify(user_id, "payment_failed", "Payment failed",
                             payment.failure_reason or "The payment did not go through.",
                             link=f"/bookings/{booking_id}")
        db.session.commit()
        # A decline is about the card number or UPI id the driver typed: it goes next to that field.
        where = {"field": "details"} if payment.status == "declined" else {}
        raise PaymentFailed(payment.failure_reason or "The payment did not go through.",
                            {"payment_id": payment.id, "retryable": True, **where})
    return payment


def increment(booking: Booking, extra: int, key: str) -> Payment:
    """Raise the booking's authorisation by `extra` (an incremental authorisation, idempotent by key)."""
    auth = authorisation_of(booking)
    if auth is None:
        raise Conflict("This booking has no authorisation to raise.")
    return _record(booking, booking.user_id, "increment", extra, auth.method, key, auth_ref=auth.provider_ref)


def _receipt_line(booking: Booking) -> str:
    """' at <station>: 4.00 kWh, 14:02-14:45 IST' for the receipt notification ('' without a session)."""
    session, station = booking.session, booking.connector.charger.station
    if session is None or session.stopped_at is None:
        return f" at {station.name}"
    return (f" at {station.name}: {session.energy_wh / 1000:.2f} kWh, "
            f"{zoned(session.started_at, station.timezone)} to {zoned(session.stopped_at, station.timezone)}")


def settle(booking: Booking, total: int) -> None:
    """Capture what the booking cost (up to what is authorised), release the rest, owe the shortfall.

    Idempotent (every step has its own key; the first settlement fixes the total), so a retry or the
    reconciliation job can run it again. Commits."""
    if booking.amount_due is None:
        booking.amount_due = total
    total = booking.amount_due
    auth = authorisation_of(booking)
    if auth is None:
        if total > 0:
            ledger.owe(booking, total, "no authorisation")
        return
    booking_id, user_id, currency = booking.id, booking.user_id, booking.currency
    method, auth_ref, authorised = auth.method, auth.provider_ref, booking.amount_authorised
    what, tz = _receipt_line(booking), booking.timezone  # read now: recording a payment commits
    captured = 0
    capture_amount = min(total, authorised)
    if capture_amount > 0:
        cap = _record(booking, user_id, "capture", capture_amount, method, f"booking-{booking_id}-capture",
                      auth_ref=auth_ref)
        if cap.status == "pending":
            return  # outcome unknown: the reconciliation job finishes this settlement
        if cap.status == "succeeded":
            captured = capture_amount
            notifications.notify(user_id, "payment_captured", "Payment captured",
                                 f"{format_money(capture_amount, currency)} charged for booking #{booking_id}{what}.",
                                 link=f"/bookings/{booking_id}/receipt", dedupe_key=f"captured-{booking_id}", tz=tz)
    rest = authorised - captured
    if rest > 0:
        kind = "void" if captured == 0 else "refund"
        released = _record(booking, user_id, kind, rest, method, f"booking-{booking_id}-{kind}", reason=UNUSED,
                           auth_ref=auth_ref)
        if released.status == "succeeded":
            notifications.notify(user_id, "payment_refunded", "Refunded",
                                 f"{format_money(rest, currency)} of the pre-authorisation released.",
                                 link=f"/bookings/{booking_id}", dedupe_key=f"refunded-{booking_id}")
    owed = total - captured
    if owed > 0:
        booking = db.session.get(Booking, booking_id)
        reason = "capture failed" if captured == 0 else "cost above the authorisation"
        if ledger.owe(booking, owed, reason):
            notifications.notify(user_id, "payment_failed", "Amount outstanding",
                                 f"{format_money(owed, currency)} of booking #{booking_id} could not be collected. "
                                 "Pay it on your balance page before your next booking.",
                                 link="/account/balance", dedupe_key=f"owed-{booking_id}")
    db.session.commit()


def refund(booking: Booking, amount: int, reason: str, key: str, by_user_id: int | None = None) -> Payment:
    """Refund part or all of what was captured (payment disputes); the same key refunds once."""
    found = _existing(key)
    if found is not None:
        return found
    auth = authorisation_of(booking)
    refundable = booking.amount_captured - _refunded_of_capture(booking)
    if auth is None or amount <= 0 or amount > refundable:
        raise PaymentFailed(f"Refund must be between 1 and {refundable} ({booking.currency} minor units)")
    booking_id, user_id, currency = booking.id, booking.user_id, booking.currency
    payment = _record(booking, user_id, "refund", amount, auth.method, key, reason=reason, auth_ref=auth.provider_ref)
    if payment.status == "succeeded":
        notifications.notify(user_id, "payment_refunded", "Refund issued",
                             f"{format_money(amount, currency)} refunded: {reason}", link=f"/bookings/{booking_id}")
    return payment


def _refunded_of_capture(booking: Booking) -> int:
    """Dispute refunds made or in flight (a pending one counts, so two forms at once cannot over-refund)."""
    return sum(p.amount for p in booking.payments
               if p.kind == "refund" and p.status in ("succeeded", "pending") and p.reason != UNUSED)


def outstanding_debt(user_id: int) -> int:
    """What the driver owes on their balance: it blocks the next booking."""
    return ledger.outstanding(user_id)


def charge_balance(user_id: int, amount: int, currency: str, method: str, details: str, key: str) -> Payment:
    """Charge `amount` against the driver's balance (authorise and capture at once)."""
    return _record(None, user_id, "settle", amount, method, key, details=details, currency=currency)


def extra_for(booking: Booking) -> int:
    """How much one incremental authorisation adds: a quarter of the first authorisation, at least 1.00."""
    auth = authorisation_of(booking)
    return max(100, math.ceil((auth.amount if auth else booking.amount_authorised) * TOPUP_STEP_PERCENT / 100))


TOPUP_STEP_PERCENT = 25
