"""Bookings: place a hold, read it, cancel it, price a quota, and the receipt once it is over."""
from typing import Annotated, Literal

from flask import g
from pydantic import AwareDatetime, Field, model_validator

from ..services.booking import bookings, ratings, slot_cancel, slot_gaps, slots
from ..services.charging import session_summary
from ..services.fleet import connector_lookup
from ..services.reports import history
from ..services.errors import Conflict
from ..services.fleet.stations import PLUG_TYPES
from ..timeutil import iso, utcnow
from .blueprint import bp
from .contract import endpoint
from .resources import (Booking, ChargingMode, ConnectorNumber, CpId, Currency, Id, Money, Payment, Query,
                        SolarFloorKw, Stars, Wire, examples)


class HoldRequest(Wire):
    """By station (its first free connector, optionally of one plug type), or by charger and connector; with
    `slot_time` (and station_id) a slot booked ahead on a connector free then instead of a hold now."""
    model_config = examples({"charger_id": "CP-1", "connector_id": 1}, {"station_id": 1},
                            {"station_id": 1, "slot_time": "2026-12-02T08:00:00+05:30"},
                            oneOf=[{"required": ["station_id"]}, {"required": ["charger_id", "connector_id"]}],
                            dependentRequired={"charger_id": ["connector_id"], "connector_id": ["charger_id"],
                                               "plug_type": ["station_id"], "slot_time": ["station_id"],
                                               "duration_minutes": ["slot_time"], "quota_kwh": ["slot_time"]},
                            dependentSchemas={"slot_time": {"not": {"required": ["plug_type"]}},
                                              "duration_minutes": {"not": {"required": ["quota_kwh"]}}})
    station_id: Annotated[Id, Field(description="book the first free connector of this station")] = None
    plug_type: Annotated[Literal[PLUG_TYPES], Field(
        description="with station_id: only connectors with this plug")] = None
    charger_id: CpId = None
    connector_id: ConnectorNumber = None
    slot_time: Annotated[AwareDatetime, Field(strict=False,
        description="book ahead: the slot's start (ISO 8601 with offset); without it, a hold now")] = None
    duration_minutes: Annotated[int, Field(ge=15, le=1440, description="with slot_time: the slot's length "
                                           "(default: the SLOT_DEFAULT_MINUTES setting)")] = None
    quota_kwh: Annotated[float, Field(ge=1, le=150, description="with slot_time: the slot lasts as long as "
                                      "this energy takes at the connector's power")] = None

    @model_validator(mode="after")
    def one_way(self):
        given = self.model_fields_set
        by_connector = {"charger_id", "connector_id"} <= given
        if ("station_id" in given) == by_connector or ("charger_id" in given) != ("connector_id" in given):
            raise ValueError("send either station_id, or charger_id and connector_id")
        if "plug_type" in given and "station_id" not in given:
            raise ValueError("plug_type needs station_id")
        if given & {"duration_minutes", "quota_kwh"} and "slot_time" not in given:
            raise ValueError("duration_minutes and quota_kwh go with slot_time")
        if {"duration_minutes", "quota_kwh"} <= given or {"slot_time", "plug_type"} <= given:
            raise ValueError("send duration_minutes or quota_kwh, and slot_time without plug_type")
        if "slot_time" in given and "station_id" not in given:
            raise ValueError("slot_time needs station_id")
        return self


class QuoteQuery(Query):
    quota_kwh: Annotated[float, Field(ge=1, le=150)]
    charging_mode: ChargingMode = "fast"
    solar_floor_kw: SolarFloorKw = None


class Quote(Wire):
    booking_id: Id
    quota_kwh: float
    amount: Money
    currency: Currency


class LiveBooking(Wire):
    booking: Booking | None


class Breakdown(Wire):
    energy: Money
    time: Money
    session_fee: Money
    idle_fee: Money
    total: Money


class Receipt(Wire):
    booking: Booking
    final: Literal[True]
    energy_kwh: float
    duration_minutes: float
    average_power_kw: float
    breakdown: Breakdown
    capped: Annotated[bool, Field(description="the bill exceeded what the card could be charged; see outstanding")]
    authorised: Money
    captured: Money
    refunded: Money
    currency: Currency
    outstanding: Annotated[int, Field(description="what capture could not take, owed on the driver's balance; "
                                                  "captured + outstanding == breakdown.total")]
    outstanding_due: Annotated[int, Field(description="the part of `outstanding` not yet paid or waived")]
    payments: list[Payment]


class RatingRequest(Wire):
    stars: Stars


PATH = "/bookings/<int:booking_id>"


def booking_json(b) -> dict:
    """The wire form of a booking."""
    connector, session = b.connector, b.session
    left = limit = None
    if b.status in ("HELD", "SLOT_HELD"):
        left = max(0, int((b.hold_expires_at - utcnow()).total_seconds()))
    if b.status == "HELD":
        limit = slot_gaps.hold_limit(b)
    return {"id": b.id, "status": b.status, "station_id": connector.charger.station_id,
            "station_name": connector.charger.station.name, "charger_id": connector.charger.charge_point_id,
            "connector_id": connector.connector_id, "created_at": iso(b.created_at),
            "hold_expires_at": iso(b.hold_expires_at), "hold_seconds_left": left,
            "confirmed_at": iso(b.confirmed_at), "arrive_by": iso(b.arrive_by), "started_at": iso(b.started_at),
            "stopped_at": iso(b.stopped_at), "exit_by": iso(b.exit_by), "ended_at": iso(b.ended_at),
            "end_reason": b.end_reason, "quota_kwh": b.quota_kwh, "charging_mode": b.charging_mode,
            "solar_floor_kw": b.solar_floor_kw, "currency": b.currency,
            "amount_authorised": b.amount_authorised, "amount_captured": b.amount_captured,
            "amount_refunded": b.amount_refunded, "idle_fee": b.idle_fee,
            "transaction_id": session.id if session else None,
            "energy_kwh": session.energy_kwh if session else None, "rating": b.rating,
            "reservation_status": b.reservation_status, "slot_start": iso(b.slot_start),
            "slot_end": iso(b.slot_end), "free_until": iso(limit[0]) if limit else None,
            "max_quota_kwh": limit[1] if limit else None,
            "cancel_free_until": iso(slot_cancel.free_until(b)) if b.slot_start is not None else None}


@bp.post("/bookings")
@endpoint("Place a hold on a connector (by station, or by charger and connector number), or book a slot ahead",
          tags=["Bookings"], body=HoldRequest, responses={201: ("Held: pay before hold_expires_at", Booking)},
          errors=(404, 409, 422),
          description="403 `station_closed` when the station is closed (with slot_time: at that time); 409 when "
                      "the connector was just taken, is offline or busy, or when you already have a live "
                      "booking; with slot_time, when no connector of the station is free then (status "
                      "SLOT_HELD until paid). 422 when slot_time is too soon, too far ahead or off the "
                      "15-minute steps.")
def create_booking(body):
    """Place a hold, or book a slot."""
    if body.slot_time is not None:
        return booking_json(slots.book_slot(g.api_user, body.station_id, body.slot_time, body.quota_kwh,
                                            body.duration_minutes)), 201
    if body.station_id is not None:
        return booking_json(connector_lookup.hold_first_free(g.api_user, body.station_id, body.plug_type)), 201
    connector = connector_lookup.by_number(body.charger_id, body.connector_id)
    return booking_json(bookings.place_hold(g.api_user, connector.id)), 201


@bp.get("/bookings/live")
@endpoint("Your live booking (held, confirmed, charging, finishing, overstay), if any", tags=["Bookings"],
          responses={200: ("The live booking or null", LiveBooking)})
def live_booking():
    """The driver's one live booking."""
    booking = history.live_booking(g.api_user)
    return {"booking": booking_json(booking) if booking else None}


@bp.get(PATH)
@endpoint("One of your bookings", tags=["Bookings"], responses={200: ("The booking", Booking)}, errors=(404,))
def get_booking(booking_id):
    """Read a booking."""
    return booking_json(bookings.get_for_user(g.api_user, booking_id))


@bp.delete(PATH)
@endpoint("Cancel a held or confirmed booking (the authorisation is voided), or a slot booked ahead",
          tags=["Bookings"], responses={200: ("Cancelled", Booking)}, errors=(404, 409),
          description="A slot is cancelled by the station tariff's policy: free (everything released) until "
                      "its free-cancellation time before the start; later the session fee is captured and the "
                      "rest released (amount_captured, end_reason says which). Cancelling a slot again returns "
                      "the same booking.")
def cancel_booking(booking_id):
    """Cancel a booking."""
    return booking_json(slot_cancel.cancel_any(g.api_user, booking_id))


@bp.get(PATH + "/quote")
@endpoint("The amount that paying for a quota will pre-authorise", tags=["Bookings"],
          query=QuoteQuery, responses={200: ("The amount", Quote)}, errors=(404,),
          description="422 when the quota would run into a slot booked later on the connector (see the "
                      "booking's free_until and max_quota_kwh).")
def quote_booking(booking_id, query):
    """Price a quota for a booking."""
    booking = bookings.get_for_user(g.api_user, booking_id)
    amount = bookings.quote(booking, query.quota_kwh, query.charging_mode, query.solar_floor_kw)
    slot_gaps.check_gap(booking, query.quota_kwh)
    return {"booking_id": booking.id, "quota_kwh": query.quota_kwh, "amount": amount,
            "currency": booking.currency}


def payment_json(p) -> dict:
    return {"id": p.id, "kind": p.kind, "amount": p.amount, "currency": p.currency, "method": p.method,
            "status": p.status, "reference": p.provider_ref, "reason": p.failure_reason or p.reason,
            "created_at": iso(p.created_at)}


@bp.get(PATH + "/receipt")
@endpoint("What a finished booking cost, and every payment made for it", tags=["Bookings"],
          responses={200: ("The receipt", Receipt)}, errors=(404, 409),
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
          body=RatingRequest, responses={200: ("Rated", Booking)}, errors=(404, 409))
def rate_booking(booking_id, body):
    """Rate the station of a completed booking."""
    return booking_json(ratings.rate(g.api_user, booking_id, body.stars))
