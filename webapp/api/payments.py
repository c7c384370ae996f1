"""Payments: authorise a held booking's quota (confirming it), idempotent by the Idempotency-Key header."""
from flask import g, request

from ..services.booking import checkout
from .blueprint import bp
from .bookings import BOOKING, PAYMENT, booking_json, payment_json
from .schema import ID, MONEY, endpoint, obj

IDEMPOTENCY_KEY = {
    "required": True,
    "description": "any unique string per payment attempt (8-50 characters); retrying with the same key "
                   "returns the first answer and never charges twice",
    "schema": {"type": "string", "minLength": 8, "maxLength": 50, "pattern": "^[A-Za-z0-9._:-]+$",
               "examples": ["7c0e4b1a-pay-1"]},
}
PAY_REQUEST = obj({
    "booking_id": ID,
    "quota_kwh": {"type": "number", "minimum": 1, "maximum": 150, "description": "energy to buy"},
    "payment_method": {"type": "string", "enum": ["card", "upi", "wallet", "CARD", "UPI", "WALLET"]},
    "payment_details": {"type": "string", "maxLength": 64,
                        "description": "card number or UPI id (test numbers: see the gateway docs)"},
    "amount": {"type": "integer", "minimum": 0, "maximum": 10**9,
               "description": "optional: the amount the app showed; 400 amount_mismatch if it differs"},
}, required=("booking_id", "quota_kwh", "payment_method"),
    examples=[{"booking_id": 1, "quota_kwh": 10, "payment_method": "card", "payment_details": "4242424242424242"}])


@bp.post("/payments/process")
@endpoint("Pay for a held booking: authorise the quota's price and confirm the booking", tags=["Payments"],
          headers={"Idempotency-Key": IDEMPOTENCY_KEY}, body=PAY_REQUEST,
          responses={200: ("Authorised; the booking is CONFIRMED", obj({
              "status": {"type": "string", "const": "succeeded"}, "transaction_id": {"type": "string"},
              "payment": PAYMENT, "amount": MONEY, "booking": BOOKING},
              required=("status", "transaction_id", "payment", "amount", "booking")))},
          errors=(402, 404, 409),
          description="402 when the gateway declines (details.retryable: try again with a new key); "
                      "403 `station_closed` when the station has closed since the hold; 409 when the hold "
                      "expired or the booking is not HELD.")
def process_payment(body):
    """Authorise and confirm."""
    booking, payment = checkout.pay(g.api_user, body["booking_id"], body["quota_kwh"], body["payment_method"],
                                    body.get("payment_details", ""), request.headers["Idempotency-Key"],
                                    body.get("amount"))
    return {"status": "succeeded", "transaction_id": payment.provider_ref or "", "payment": payment_json(payment),
            "amount": payment.amount, "booking": booking_json(booking)}
