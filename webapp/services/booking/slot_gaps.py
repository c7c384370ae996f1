"""Immediate holds before a booked slot: the connector is free only until the next slot (less the changeover),
so a hold is refused when too little time is left and its quota must end before then."""
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update

from ...extensions import db
from ...models import SLOT_STATUSES, Booking, Connector
from ...timeutil import as_utc, utcnow
from ..errors import InvalidInput
from ..fleet import hours
from . import trail
from ..platform import audit, timers

SHORTEST_CHARGE = timedelta(minutes=15)  # less than this before the next slot is not worth a hold


def free_until(connector_id: int, now: datetime) -> datetime | None:
    """When the connector must be clear for the next slot booked on it, or for the one in progress (in the
    past then: nothing fits); None when no slot is ahead."""
    start = db.session.execute(select(func.min(Booking.slot_start)).where(
        Booking.connector_id == connector_id, Booking.slot_start.is_not(None), Booking.slot_clear_at > now,
        Booking.status.in_(SLOT_STATUSES))).scalar_one_or_none()
    if start is None:
        return None
    return as_utc(start) - timedelta(minutes=current_app.config["SLOT_CHANGEOVER_MINUTES"])


def latest_start(now: datetime) -> datetime:
    """The latest a hold placed `now` may start charging: paid within the hold, arrived within the grace."""
    return now + timers.duration("HOLD") + timers.duration("ARRIVAL_GRACE")


def max_quota_kwh(connector: Connector, until: datetime, charge_from: datetime) -> float:
    """The energy the connector can deliver from `charge_from` until `until` at its full power (kWh, floored
    to one decimal)."""
    span_h = max(0.0, (until - charge_from).total_seconds() / 3600)
    return int(connector.max_power_kw * span_h * 10) / 10


def hold_limit(booking: Booking) -> tuple[datetime, float] | None:
    """For a hold before a booked slot: (free until, the largest quota that ends by then charging from the end
    of the arrival grace); None when no slot follows on its connector."""
    now = utcnow()
    until = free_until(booking.connector_id, now)
    if until is None:
        return None
    return until, max_quota_kwh(booking.connector, until, now + timers.duration("ARRIVAL_GRACE"))


def check_gap(booking: Booking, quota_kwh: float, field: str = "quota_kwh") -> None:
    """Refuse a quota that would run into the next slot on the booking's connector (naming `field`)."""
    limit = hold_limit(booking)
    if limit is not None and quota_kwh > limit[1]:
        until, most = limit
        raise InvalidInput(f"{booking.connector.label} is booked from "
                           f"{hours.local_now(booking.connector.charger.station, until):%H:%M}: choose at most "
                           f"{most:g} kWh.", {"field": field, "max_kwh": most})


def expire_stale_slots(*where) -> None:
    """Unpaid slots (matching `where`) whose payment time has passed give their time back (a conditional
    update, safe under races)."""
    now = utcnow()
    ids = db.session.execute(update(Booking).where(Booking.status == "SLOT_HELD", Booking.hold_expires_at < now,
                                                   *where)
                             .values(status="EXPIRED", ended_at=now, end_reason="slot not paid in time")
                             .returning(Booking.id)).scalars().all()
    for booking_id in ids:
        audit.log("booking.expire", "booking", booking_id, {"status": "SLOT_HELD"}, {"status": "EXPIRED"},
                  actor=trail.by_system())
