"""Finish what a crash interrupted: pending payments and settlements that never completed.

A pending row older than PAYMENT_RECONCILE_AFTER_SECONDS (younger ones may still be in their request) is asked
about again with its own key: re-sent when the call can be rebuilt from the row (capture, refund, void, increment
against the booking's authorisation), else looked up by key; a call the gateway never received that needs
what the driver typed (authorise, settle) is closed as failed. The outcome is applied by payments.apply, which
is conditional on the row still being pending, so it takes effect exactly once. A finished booking whose
settlement stopped half-way is settled again (idempotent), and an authorisation left on a hold that expired is
released.
"""
import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from ...extensions import db
from ...models import Booking, Payment
from ...timeutil import utcnow
from . import gateway, payments
from ..platform import audit

log = logging.getLogger(__name__)

INTERRUPTED = "Interrupted before it reached the payment gateway; nothing was charged."
SETTLING = ("COMPLETED", "NO_SHOW", "CANCELLED", "EXPIRED")


def finish_pending(now: datetime | None = None) -> int:
    """Resolve every stale pending payment; returns how many this run finished."""
    cutoff = (now or utcnow()) - timedelta(seconds=current_app.config["PAYMENT_RECONCILE_AFTER_SECONDS"])
    ids = db.session.execute(select(Payment.id).where(Payment.status == "pending", Payment.created_at < cutoff)
                             .order_by(Payment.id)).scalars().all()
    db.session.commit()
    finished = 0
    for payment_id in ids:
        try:
            finished += _finish(payment_id)
        except Exception:
            db.session.rollback()
            log.error("Could not reconcile payment %s", payment_id, exc_info=True)
    _release_orphans()
    return finished


def _finish(payment_id: int) -> int:
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.status != "pending":
        return 0
    booking = payment.booking
    auth = payments.authorisation_of(booking) if booking is not None else None
    kind, key, auth_ref = payment.kind, payment.idempotency_key, auth.provider_ref if auth else None
    args = (kind, payment.amount, payment.currency, payment.method, key, auth_ref, None)
    db.session.commit()  # nothing open while the gateway is asked (on SQLite a reading transaction locks)
    if kind in payments.NEEDS_DETAILS or auth_ref is None:
        result = gateway.get().lookup(key)
    else:
        result = payments._send(*args)
    if result is None and kind in payments.NEEDS_DETAILS:
        result = gateway.GatewayResult("failed", reason=INTERRUPTED)
    if result is None:
        return 0  # still unknown (gateway unreachable): the next run asks again
    done = payments.apply(payment_id, result)
    log.info("Reconciled payment %s (%s): %s", payment_id, done.kind, done.status)
    audit.log("payment.reconcile", "payment", payment_id, {"status": "pending"},
              {"status": done.status, "kind": done.kind, "amount": done.amount})
    db.session.commit()
    if done.booking_id is not None:
        booking = db.session.get(Booking, done.booking_id)
        if booking.status in SETTLING and booking.amount_due is not None:
            payments.settle(booking, booking.amount_due)  # carry on where the settlement stopped
    return 1


def _release_orphans() -> None:
    """Authorisations left on holds that expired (the pay request died after the gateway answered)."""
    ids = db.session.execute(select(Booking.id).where(Booking.status == "EXPIRED", Booking.amount_authorised > 0,
                                                      Booking.amount_due.is_(None))).scalars().all()
    for booking_id in ids:
        payments.settle(db.session.get(Booking, booking_id), 0)
    db.session.commit()
