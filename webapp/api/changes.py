"""Changes while charging: preview, then make, a switch of charging mode or a raised or lowered quota."""
from typing import Annotated

from flask import g, request
from pydantic import Field, model_validator

from ..services.booking import changes
from .blueprint import bp
from .bookings import PATH, booking_json
from .contract import endpoint
from .resources import Booking, ChargingMode, Currency, Money, SolarFloorKw, Wire, examples


class ChangeRequest(Wire):
    """At least one of the mode, the quota or the Solar floor; what is left out stays as it is."""
    model_config = examples({"quota_kwh": 20}, {"charging_mode": "solar", "solar_floor_kw": 3.7},
                            anyOf=[{"required": ["charging_mode"]}, {"required": ["quota_kwh"]},
                                   {"required": ["solar_floor_kw"]}])
    charging_mode: ChargingMode = None
    quota_kwh: Annotated[float, Field(ge=1, le=150, description="the new quota (raise or lower)")] = None
    solar_floor_kw: SolarFloorKw = None

    @model_validator(mode="after")
    def something(self):
        if not self.model_fields_set:
            raise ValueError("send charging_mode, quota_kwh or solar_floor_kw")
        return self


class ChangePreview(Wire):
    charging_mode: ChargingMode
    quota_kwh: float
    solar_floor_kw: float | None
    price_per_kwh: Money
    expected_power_kw: float
    finish_minutes: Annotated[int, Field(ge=0, description="to deliver what is left of the quota at that power "
                                                           "(no more than the driver's battery)")]
    authorisation_needed: Money
    top_up: Annotated[int, Field(ge=0, description="what will be added to the authorisation on confirming")]
    currency: Currency


def _args(body: ChangeRequest) -> dict:
    return {"mode": body.charging_mode, "quota_kwh": body.quota_kwh, "floor_kw": body.solar_floor_kw}


@bp.post(PATH + "/changes/preview")
@endpoint("What a change of a charging session would give (power, finish, price, top-up); changes nothing",
          tags=["Bookings"], body=ChangeRequest, responses={200: ("The change as it would be", ChangePreview)},
          errors=(404, 409), description="409 unless the booking is charging.")
def preview_change(booking_id, body):
    """Preview a mid-session change."""
    p = changes.preview(g.api_user, booking_id, **_args(body))
    return {"charging_mode": p.mode, "quota_kwh": p.quota_kwh, "solar_floor_kw": p.floor_kw,
            "price_per_kwh": p.offer.price_per_kwh, "expected_power_kw": round(p.offer.expected_kw, 2),
            "finish_minutes": p.offer.finish_minutes, "authorisation_needed": p.needed, "top_up": p.top_up,
            "currency": p.booking.currency}


@bp.post(PATH + "/changes")
@endpoint("Change a charging session: switch mode, raise or lower the quota", tags=["Bookings"], body=ChangeRequest,
          responses={200: ("Changed", Booking)}, errors=(402, 404, 409),
          description="A raise the authorisation does not cover tops it up first (402 when declined: nothing "
                      "changed); a lower quota stops the charge earlier, at once if it is already delivered. "
                      "422 when the mode is not available at this charger. An Idempotency-Key header makes a "
                      "retried top-up charge once.")
def make_change(booking_id, body):
    """Make a mid-session change."""
    key = (request.headers.get("Idempotency-Key") or "")[:50]
    return booking_json(changes.apply(g.api_user, booking_id, **_args(body), client_key=key))
