"""Bookings: place a hold, read it, cancel it, price a quota, and the receipt once it is over."""
from flask import g

from ..services.booking import bookings, ratings
from ..services.charging import session_summary
from ..services.fleet import connector_lookup
from ..services.reports import history
from ..services.errors import Conflict
from ..services.fleet.stations import PLUG_TYPES
from ..timeutil import iso, utcnow
from .blueprint import bp
from .schema import CONNECTOR_NUMBER, CP_ID, CURRENCY, DATETIME, ID, MONEY, endpoint, nullable, obj

STATUSES = ["HELD", "CONFIRMED", "CHARGING", "FINISHING", "OVERSTAY", "EXPIRED", "NO_SHOW", "CANCELLED",
            "COMPLETED"]
BOOKING_FIELDS = {
    "id": ID, "status": {"type": "string", "enum": STATUSES},
    "station_id": ID, "station_name": {"type": "string"},
    "charger_id": CP_ID, "connector_id": CONNECTOR_NUMBER,
    "created_at": DATETIME, "hold_expires_at": DATETIME,
    "hold_seconds_left": nullable({"type": "integer", "minimum": 0}),
    "confirmed_at": nullable(DATETIME), "arrive_by": nullable(DATETIME), "started_at": nullable(DATETIME),
    "stopped_at": nullable(DATETIME), "exit_by": nullable(DATETIME), "ended_at": nullable(DATETIME),
    "end_reason": nullable({"type": "string"}),
    "quota_kwh": nullable({"type": "number"}), "currency": CURRENCY,
    "amount_authorised": MONEY, "amount_captured": MONEY, "amount_refunded": MONEY, "idle_fee": MONEY,
    "transaction_id": nullable({"type": "integer", "description": "the OCPP transaction, once charging started"}),
    "energy_kwh": nullable({"type": "number"}),
    "rating": nullable({"type": "integer"}),
    "reservation_status": nullable({"type": "string", "enum": ["pending", "Accepted", "Occupied", "Faulted",
                                                               "Rejected", "Unavailable", "failed", "none",
                                                               "cancelled"],
                                    "description": "the charger's answer to ReserveNow; Occupied, Faulted, "
                                                   "Rejected and Unavailable mean the connector is not reserved"}),
}
BOOKING = obj(BOOKING_FIELDS, required=tuple(BOOKING_FIELDS))
HOLD_REQUEST = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "station_id": {**ID, "description": "book the first free connector of this station"},
        "plug_type": {"type": "string", "enum": list(PLUG_TYPES),
                      "description": "with station_id: only connectors with this plug"},
        "charger_id": CP_ID, "connector_id": CONNECTOR_NUMBER,
    },
    "oneOf": [{"required": ["station_id"]}, {"required": ["charger_id", "connector_id"]}],
    "dependentRequired": {"charger_id": ["connector_id"], "connector_id": ["charger_id"],
                          "plug_type": ["station_id"]},
    "examples": [{"charger_id": "CP-1", "connector_id": 1}, {"station_id": 1}],
}
PATH = "/bookings/<int:booking_id>"


def booking_json(b) -> dict:
    """The wire form of a booking."""
    connector, session = b.connector, b.session
    left = None
    if b.status == "HELD":
        left = max(0, int((b.hold_expires_at - utcnow()).total_seconds()))
    return {"id": b.id, "status": b.status, "station_id": connector.charger.station_id,
            "station_name": connector.charger.station.name, "charger_id": connector.charger.charge_point_id,
            "connector_id": connector.connector_id, "created_at": iso(b.created_at),
            "hold_expires_at": iso(b.hold_expires_at), "hold_seconds_left": left,
            "confirmed_at": iso(b.confirmed_at), "arrive_by": iso(b.arrive_by), "started_at": iso(b.started_at),
            "stopped_at": iso(b.stopped_at), "exit_by": iso(b.exit_by), "ended_at": iso(b.ended_at),
            "end_reason": b.end_reason, "quota_kwh": b.quota_kwh, "currency": b.currency,
            "amount_authorised": b.amount_authorised, "amount_captured": b.amount_captured,
            "amount_refunded": b.amount_refunded, "idle_fee": b.idle_fee,
            "transaction_id": session.id if session else None,
            "energy_kwh": session.energy_kwh if session else None, "rating": b.rating,
            "reservation_status": b.reservation_status}


@bp.post("/bookings")
@endpoint("Place a hold on a connector (by station, or by charger and connector number)", tags=["Bookings"],
          body=HOLD_REQUEST, responses={201: ("Held: pay before hold_expires_at", BOOKING)},
          errors=(404, 409),
          description="403 `station_closed` when the station is closed; 409 when the connector was just "
                      "taken, is offline or busy, or when you already have a live booking.")
def create_booking(body):
    """Place a hold."""
    if "station_id" in body:
        return booking_json(connector_lookup.hold_first_free(g.api_user, body["station_id"],
                                                             body.get("plug_type"))), 201
    connector = connector_lookup.by_number(body["charger_id"], body["connector_id"])
    return booking_json(bookings.place_hold(g.api_user, connector.id)), 201


@bp.get("/bookings/live")
@endpoint("Your live booking (held, confirmed, charging, finishing, overstay), if any", tags=["Bookings"],
          responses={200: ("The live booking or null", obj({"booking": nullable(BOOKING)}, required=("booking",)))})
def live_booking():
    """The driver's one live booking."""
    booking = history.live_booking(g.api_user)
    return {"booking": booking_json(booking) if booking else None}


@bp.get(PATH)
@endpoint("One of your bookings", tags=["Bookings"], responses={200: ("The booking", BOOKING)}, errors=(404,))
def get_booking(booking_id):
    """Read a booking."""
    return booking_json(bookings.get_for_user(g.api_user, booking_id))


@bp.delete(PATH)
@endpoint("Cancel a held or confirmed booking (the authorisation is voided)", tags=["Bookings"],
          responses={200: ("Cancelled", BOOKING)}, errors=(404, 409))
def cancel_booking(booking_id):
    """Cancel a booking."""
    return booking_json(bookings.cancel(g.api_user, booking_id))


@bp.get(PATH + "/quote")
@endpoint("The amount that paying for a quota will pre-authorise", tags=["Bookings"],
          query=obj({"quota_kwh": {"type": "number", "minimum": 1, "maximum": 150}}, required=("quota_kwh",)),
          responses={200: ("The amount", obj({"booking_id": ID, "quota_kwh": {"type": "number"}, "amount": MONEY,
                                              "currency": CURRENCY},
                                             required=("booking_id", "quota_kwh", "amount", "currency")))},
          errors=(404,))
def quote_booking(booking_id, query):
    """Price a quota for a booking."""
    booking = bookings.get_for_user(g.api_user, booking_id)
    amount = bookings.quote(booking, query["quota_kwh"])
    return {"booking_id": booking.id, "quota_kwh": query["quota_kwh"], "amount": amount,
            "currency": booking.currency}


PAYMENT = obj({"id": ID, "kind": {"type": "string", "enum": ["authorise", "increment", "capture", "refund", "void",
                                                              "settle"]},
               "amount": MONEY, "currency": CURRENCY, "method": {"type": "string"},
               "status": {"type": "string", "enum": ["succeeded", "declined", "failed", "pending"]},
               "reference": nullable({"type": "string"}), "reason": nullable({"type": "string"}),
               "created_at": DATETIME},
              required=("id", "kind", "amount", "currency", "method", "status", "reference", "reason",
                        "created_at"))
RECEIPT = obj({
    "booking": BOOKING, "final": {"type": "boolean", "const": True},
    "energy_kwh": {"type": "number"}, "duration_minutes": {"type": "number"}, "average_power_kw": {"type": "number"},
    "breakdown": obj({"energy": MONEY, "time": MONEY, "session_fee": MONEY, "idle_fee": MONEY, "total": MONEY},
                     required=("energy", "time", "session_fee", "idle_fee", "total")),
    "capped": {"type": "boolean", "description": "the bill exceeded what the card could be charged; see outstanding"},
    "authorised": MONEY, "captured": MONEY, "refunded": MONEY, "currency": CURRENCY,
    "outstanding": {**MONEY, "description": "what capture could not take, owed on the driver's balance; "
                                            "captured + outstanding == breakdown.total"},
    "outstanding_due": {**MONEY, "description": "the part of `outstanding` not yet paid or waived"},
    "payments": {"type": "array", "items": PAYMENT},
}, required=("booking", "final", "energy_kwh", "duration_minutes", "average_power_kw", "breakdown", "capped",
             "authorised", "captured", "refunded", "currency", "outstanding", "outstanding_due", "payments"))


def payment_json(p) -> dict:
    return {"id": p.id, "kind": p.kind, "amount": p.amount, "currency": p.currency, "method": p.method,
            "status": p.status, "reference": p.provider_ref, "reason": p.failure_reason or p.reason,
            "created_at": iso(p.created_at)}


@bp.get(PATH + "/receipt")
@endpoint("What a finished booking cost, and every payment made for it", tags=["Bookings"],
          responses={200: ("The receipt", RECEIPT)}, errors=(404, 409),
          description="409 while the booking is live: the receipt exists once the connector is freed "
                      "(COMPLETED) or the booking ended without charging.")
def booking_receipt(booking_id):
    """The receipt of a booking (the same numbers as the receipt page)."""
    booking = bookings.get_for_user(g.api_user, booking_id)
    if booking.is_live:
        raise Conflict(f"There is no receipt yet: this booking is {booking.status.lower()}.",
                       {"booking_status": booking.status})
    r = session_summary.receipt(booking)
    b = r.breakdown
    return {"booking": booking_json(booking), "final": True, "energy_kwh": r.energy_wh / 1000,
            "duration_minutes": round(r.duration.total_seconds() / 60, 1), "average_power_kw": round(r.average_kw, 2),
            "breakdown": {"energy": b.energy, "time": b.time, "session_fee": b.session_fee, "idle_fee": b.idle,
                          "total": b.total},
            "capped": r.capped, "authorised": booking.amount_authorised, "captured": booking.amount_captured,
            "refunded": booking.amount_refunded, "currency": booking.currency,
            "outstanding": r.outstanding, "outstanding_due": r.outstanding_due,
            "payments": [payment_json(p) for p in r.payments]}


@bp.post(PATH + "/rating")
@endpoint("Rate the station 1-5 stars after a completed session (rating again replaces it)", tags=["Bookings"],
          body=obj({"stars": {"type": "integer", "minimum": 1, "maximum": 5}}, required=("stars",)),
          responses={200: ("Rated", BOOKING)}, errors=(404, 409))
def rate_booking(booking_id, body):
    """Rate the station of a completed booking."""
    return booking_json(ratings.rate(g.api_user, booking_id, body["stars"]))
