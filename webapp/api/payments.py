"""Payments: authorise a held booking's quota (confirming it), idempotent by the Idempotency-Key header."""
from typing import Annotated, Literal

from flask import g, request
from pydantic import Field

from ..services.booking import checkout
from .blueprint import bp
from .bookings import booking_json, payment_json
from .contract import endpoint
from .resources import (Booking, ChargingMode, Headers, Id, Money, Payment, PaymentMethod, SolarFloorKw, Wire,
                        examples)


class IdempotencyKey(Headers):
    """The Idempotency-Key header."""
    key: Annotated[str, Field(
        alias="Idempotency-Key", min_length=8, max_length=50, pattern="^[A-Za-z0-9._:-]+$",
        examples=["7c0e4b1a-pay-1"],
        description="any unique string per payment attempt (8-50 characters); retrying with the same key "
                    "returns the first answer and never charges twice")]


class PayRequest(Wire):
    model_config = examples(
        {"booking_id": 1, "quota_kwh": 10, "payment_method": "card", "payment_details": "4242424242424242"})
    booking_id: Id
    quota_kwh: Annotated[float, Field(ge=1, le=150, description="energy to buy")]
    payment_method: PaymentMethod
    payment_details: Annotated[str, Field(max_length=64, description="card number or UPI id (test numbers: see "
                                                                     "the gateway docs)")] = ""
    amount: Annotated[int, Field(ge=0, le=10**9, description="optional: the amount the app showed; 400 "
                                                             "amount_mismatch if it differs")] = None
    charging_mode: ChargingMode = "fast"
    solar_floor_kw: SolarFloorKw = None


class Paid(Wire):
    status: Literal["succeeded"]
    transaction_id: str
    payment: Payment
    amount: Money
    booking: Booking


@bp.post("/payments/process")
@endpoint("Pay for a held booking: authorise the quota's price and confirm the booking", tags=["Payments"],
          headers=IdempotencyKey, body=PayRequest,
          responses={200: ("Authorised; the booking is CONFIRMED (a slot booked ahead: SCHEDULED)", Paid)},
          errors=(402, 404, 409),
          description="402 when the gateway declines (details.retryable: try again with a new key); "
                      "403 `station_closed` when the station has closed since the hold; 409 when the hold "
                      "expired or the booking is not HELD.")
def process_payment(body):
    """Authorise and confirm."""
    booking, payment = checkout.pay(g.api_user, body.booking_id, body.quota_kwh, body.payment_method,
                                    body.payment_details, request.headers["Idempotency-Key"], body.amount,
                                    body.charging_mode, body.solar_floor_kw)
    return {"status": "succeeded", "transaction_id": payment.provider_ref or "", "payment": payment_json(payment),
            "amount": payment.amount, "booking": booking_json(booking)}
