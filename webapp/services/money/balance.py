"""The driver's outstanding balance: what they owe, paying it (the same gateway and declines as paying a
booking, idempotent by key) and staff waiving it with a reason. The ledger itself is services/money/ledger.py."""
import uuid
from dataclasses import dataclass

from sqlalchemy import select

from ...extensions import db
from ...models import Booking, Payment, User
from ...money import format_money
from . import ledger, payments
from ..platform import audit, notifications
from ..errors import Conflict, InvalidInput, PaymentFailed

METHODS = ("card", "upi", "wallet")


@dataclass
class Summary:
    outstanding: int
    currency: str
    dues: list[tuple[Booking | None, ledger.Owed]]


def summary(user_id: int) -> Summary:
    """What the driver owes, per booking (oldest first)."""
    rows = [o for o in ledger.by_booking(user_id) if o.owed]
    found = {b.id: b for b in db.session.execute(select(Booking).where(
        Booking.id.in_([o.booking_id for o in rows if o.booking_id]))).scalars()}
    return Summary(ledger.outstanding(user_id), ledger.currency_of(user_id),
                   [(found.get(o.booking_id), o) for o in rows])


def payment_key(user_id: int, scope: str, client_key: str) -> str:
    """A gateway key that one driver's key can never collide with another's."""
    return f"{scope}:{user_id}:balance:{client_key}"


def pay(user: User, method: str, details: str, key: str) -> Payment:
    """Charge the whole outstanding balance; the same key twice charges once (and returns the first answer)."""
    found = db.session.execute(select(Payment).where(Payment.idempotency_key == key)).scalar_one_or_none()
    if found is not None and found.status == "succeeded":
        return found
    method = (method or "").lower()
    if method not in METHODS:
        raise InvalidInput("Choose card, UPI or wallet.", {"field": "method"})
    amount, currency = ledger.outstanding(user.id), ledger.currency_of(user.id)
    if found is None and amount <= 0:
        raise Conflict("Nothing to pay: your balance is clear.")
    user_id = user.id
    payment = payments.charge_balance(user_id, amount, currency, method, details or "", key)
    if payment.status == "pending":
        raise PaymentFailed("The payment gateway has not answered yet. We will confirm it shortly; do not pay again.",
                            {"payment_id": payment.id, "retryable": False})
    if payment.status != "succeeded":
        raise PaymentFailed(payment.failure_reason or "The payment did not go through.",
                            {"payment_id": payment.id, "retryable": True})
    notifications.notify(user_id, "balance_paid", "Balance paid",
                         f"{format_money(payment.amount, payment.currency)} paid. You can book again.",
                         link="/account/balance", dedupe_key=f"balance-paid-{payment.id}")
    audit.log("balance.pay", "user", user_id, {"outstanding": amount},
              {"outstanding": ledger.outstanding(user_id), "payment_id": payment.id, "amount": payment.amount,
               "method": method})
    db.session.commit()
    return payment


def waive(user_id: int, reason: str, staff_user_id: int) -> int:
    """Staff forgive what a driver owes, with a reason (audited); returns the amount waived."""
    reason = (reason or "").strip()
    if not reason or len(reason) > 150:
        raise InvalidInput("Give a reason for the waiver (at most 150 characters).", {"field": "reason"})
    ledger.lock_user(user_id)
    before = ledger.outstanding(user_id)
    if before <= 0:
        raise Conflict("This driver owes nothing.")
    currency = ledger.currency_of(user_id)
    waived = ledger.spread(user_id, "waived", before, f"waived:{uuid.uuid4().hex}", currency, reason,
                           staff_user_id=staff_user_id)
    notifications.notify(user_id, "balance_waived", "Balance waived",
                         f"{format_money(waived, currency)} you owed was waived: {reason}", link="/account/balance")
    audit.log("balance.waive", "user", user_id, {"outstanding": before},
              {"outstanding": ledger.outstanding(user_id), "waived": waived, "reason": reason})
    db.session.commit()
    return waived
