"""The driver's outstanding balance: read it, pay it (idempotent by the Idempotency-Key header)."""
from typing import Annotated, Literal

from flask import g, request
from pydantic import Field

from ..services.money import balance
from ..timeutil import iso
from .blueprint import bp
from .bookings import payment_json
from .contract import endpoint
from .payments import IdempotencyKey
from .resources import Balance, Money, Payment, PaymentMethod, Wire, examples


class PayBalanceRequest(Wire):
    model_config = examples({"payment_method": "card",
                                                               "payment_details": "4242424242424242"})
    payment_method: PaymentMethod
    payment_details: Annotated[str, Field(max_length=64, description="card number or UPI id (the same test "
                                                                     "numbers as paying a booking)")] = ""


class BalancePaid(Wire):
    status: Literal["succeeded"]
    payment: Payment
    outstanding: Money


def balance_json(user_id: int) -> dict:
    s = balance.summary(user_id)
    return {"outstanding": s.outstanding, "currency": s.currency,
            "entries": [{"booking_id": o.booking_id, "kind": "owed", "amount": o.owed, "paid": o.paid,
                         "waived": o.waived, "due": o.due, "ended_at": iso(b.ended_at) if b else None}
                        for b, o in s.dues]}


@bp.get("/balance")
@endpoint("What you owe from earlier sessions (what capture could not take), per booking", tags=["Payments"],
          responses={200: ("Your balance", Balance)})
def get_balance():
    """The driver's outstanding balance."""
    return balance_json(g.api_user.id)


@bp.post("/balance/pay")
@endpoint("Pay your whole outstanding balance", tags=["Payments"], headers=IdempotencyKey,
          body=PayBalanceRequest, responses={200: ("Paid", BalancePaid)},
          errors=(402, 409),
          description="402 when the gateway declines (details.retryable: try again with a new key); 409 when "
                      "there is nothing to pay. The same key again returns the first answer and never charges twice.")
def pay_balance(body):
    """Pay the balance."""
    user = g.api_user
    key = balance.payment_key(user.id, "api", request.headers["Idempotency-Key"])
    payment = balance.pay(user, body.payment_method, body.payment_details, key)
    return {"status": "succeeded", "payment": payment_json(payment),
            "outstanding": balance.summary(user.id).outstanding}
