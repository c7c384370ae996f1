"""The driver's outstanding balance: read it, pay it (idempotent by the Idempotency-Key header)."""
from flask import g, request

from ..services.money import balance
from ..timeutil import iso
from .blueprint import bp
from .bookings import PAYMENT, payment_json
from .payments import IDEMPOTENCY_KEY
from .schema import CURRENCY, ID, MONEY, endpoint, nullable, obj

ENTRY = obj({"booking_id": nullable(ID), "kind": {"type": "string", "const": "owed"}, "amount": MONEY,
             "paid": MONEY, "waived": MONEY, "due": MONEY, "ended_at": nullable({"type": "string", "format": "date-time"})},
            required=("booking_id", "kind", "amount", "paid", "waived", "due", "ended_at"))
BALANCE = obj({"outstanding": {**MONEY, "description": "what you owe; it blocks booking until paid"},
               "currency": CURRENCY, "entries": {"type": "array", "items": ENTRY}},
              required=("outstanding", "currency", "entries"))
PAY_BALANCE = obj({
    "payment_method": {"type": "string", "enum": ["card", "upi", "wallet", "CARD", "UPI", "WALLET"]},
    "payment_details": {"type": "string", "maxLength": 64,
                        "description": "card number or UPI id (the same test numbers as paying a booking)"},
}, required=("payment_method",), examples=[{"payment_method": "card", "payment_details": "4242424242424242"}])


def balance_json(user_id: int) -> dict:
    s = balance.summary(user_id)
    return {"outstanding": s.outstanding, "currency": s.currency,
            "entries": [{"booking_id": o.booking_id, "kind": "owed", "amount": o.owed, "paid": o.paid,
                         "waived": o.waived, "due": o.due, "ended_at": iso(b.ended_at) if b else None}
                        for b, o in s.dues]}


@bp.get("/balance")
@endpoint("What you owe from earlier sessions (what capture could not take), per booking", tags=["Payments"],
          responses={200: ("Your balance", BALANCE)})
def get_balance():
    """The driver's outstanding balance."""
    return balance_json(g.api_user.id)


@bp.post("/balance/pay")
@endpoint("Pay your whole outstanding balance", tags=["Payments"], headers={"Idempotency-Key": IDEMPOTENCY_KEY},
          body=PAY_BALANCE,
          responses={200: ("Paid", obj({"status": {"type": "string", "const": "succeeded"}, "payment": PAYMENT,
                                        "outstanding": MONEY}, required=("status", "payment", "outstanding")))},
          errors=(402, 409),
          description="402 when the gateway declines (details.retryable: try again with a new key); 409 when "
                      "there is nothing to pay. The same key again returns the first answer and never charges twice.")
def pay_balance(body):
    """Pay the balance."""
    user = g.api_user
    key = balance.payment_key(user.id, "api", request.headers["Idempotency-Key"])
    payment = balance.pay(user, body["payment_method"], body.get("payment_details", ""), key)
    return {"status": "succeeded", "payment": payment_json(payment),
            "outstanding": balance.summary(user.id).outstanding}
