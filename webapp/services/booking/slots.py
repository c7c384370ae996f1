"""Slots booked ahead: free start times per connector, and booking one.

A slot is a Booking with slot_start/slot_end (UTC); it keeps its connector's [slot_start, slot_clear_at)
(slot_end + the changeover margin) while its status is in SLOT_STATUSES. Two such ranges on one connector
never overlap: PostgreSQL refuses it with an exclusion constraint (ex_bookings_slot_overlap, btree_gist);
on SQLite every transaction begins IMMEDIATE (webapp/__init__.py), so the check here and the insert are
serialised. A new slot is SLOT_HELD (the driver pays before hold_expires_at, as for a hold), then SCHEDULED.
A future slot does not need the charger online now, only in service: not retired, no maintenance over it.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from math import ceil

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import SLOT_STATUSES, Booking, Charger, Connector, MaintenanceWindow, Station, User
from ...timeutil import UTC, utcnow
from . import slot_gaps, slot_limits, slot_times, trail
from .bookings import QUOTA_LIMITS_KWH, check_driver
from ..platform import timers
from ..errors import Conflict, InvalidInput, NotFound, StationClosed

ATTEMPTS = 3  # PostgreSQL: a lost race on the first free connector tries the next one


@dataclass
class ConnectorSlots:
    connector: Connector
    free: list[datetime]  # UTC starts of free slots of the asked length


def station_or_404(station_id: int) -> Station:
    """A station drivers can book at (NotFound otherwise)."""
    station = db.session.get(Station, station_id)
    if station is None or station.status == "retired":
        raise NotFound("No such station.")
    return station


def _in_service(station: Station) -> list[Connector]:
    return list(db.session.execute(
        select(Connector).join(Charger).where(Charger.station_id == station.id, ~Charger.retired)
        .order_by(Charger.charge_point_id, Connector.connector_id)).scalars())


def _busy(connectors: list[Connector], start: datetime, end: datetime,
          exclude_booking: int | None = None) -> dict[int, list[tuple[datetime, datetime]]]:
    """Per connector id, the blocked UTC ranges touching [start, end): other slots (not `exclude_booking`, the
    one being moved) and maintenance windows."""
    ids = [c.id for c in connectors]
    busy: dict[int, list] = {i: [] for i in ids}
    for cid, s, e in db.session.execute(select(Booking.connector_id, Booking.slot_start, Booking.slot_clear_at).where(
            Booking.connector_id.in_(ids), Booking.slot_start.is_not(None), Booking.status.in_(SLOT_STATUSES),
            Booking.slot_start < end, Booking.slot_clear_at > start, Booking.id != (exclude_booking or 0))):
        busy[cid].append((s, e))
    windows = db.session.execute(select(MaintenanceWindow).where(
        MaintenanceWindow.state.in_(("scheduled", "active")), MaintenanceWindow.starts_at < end,
        MaintenanceWindow.ends_at > start)).scalars().all()
    for c in connectors:
        for w in windows:
            if w.charger_id == c.charger_id or (w.charger_id is None and w.station_id == c.charger.station_id):
                busy[c.id].append((w.starts_at, w.ends_at))
    return busy


def _clashes(ranges, start: datetime, end: datetime) -> bool:
    return any(s < end and start < e for s, e in ranges)


def slot_length(connector: Connector, quota_kwh: float | None, minutes: int | None) -> timedelta:
    """A slot's length: the minutes asked for, or the time `quota_kwh` takes at the connector's power (rounded
    up to the step), or the default length."""
    cfg = slot_times.settings()
    if minutes is not None:
        if not (cfg.step.total_seconds() / 60 <= minutes <= 24 * 60):
            raise InvalidInput(f"Choose a duration between {cfg.step.seconds // 60} minutes and 24 hours.",
                               {"field": "duration_minutes"})
        return timedelta(minutes=minutes)
    if quota_kwh is not None:
        if not (QUOTA_LIMITS_KWH[0] <= quota_kwh <= QUOTA_LIMITS_KWH[1]):
            raise InvalidInput(f"Choose between {QUOTA_LIMITS_KWH[0]} and {QUOTA_LIMITS_KWH[1]} kWh.",
                               {"field": "quota_kwh"})
        steps = ceil(quota_kwh / connector.max_power_kw * 60 / (cfg.step.total_seconds() / 60))
        return cfg.step * max(1, steps)
    return cfg.default


def free_times(station_id: int, day: date, quota_kwh: float | None = None,
               minutes: int | None = None) -> tuple[Station, list[ConnectorSlots]]:
    """Free slot starts per in-service connector on the station-local date `day`: inside the opening hours
    (the slot may run past midnight while the station stays open), from now + the lead time up to the
    maximum days ahead, clear of other slots (with their changeover) and maintenance windows."""
    station = station_or_404(station_id)
    cfg = slot_times.settings()
    today = slot_times.local_date(station, utcnow())
    if not today <= day <= slot_times.local_date(station, utcnow() + cfg.max_ahead):
        raise InvalidInput(f"Choose a date from today up to {cfg.max_ahead.days} days ahead.", {"field": "date"})
    connectors = _in_service(station)
    day_start, day_end = slot_times.day_span(station, day)
    intervals = slot_times.open_intervals(station, day, day + timedelta(days=2))
    earliest, latest = utcnow() + cfg.lead, utcnow() + cfg.max_ahead
    lengths = {c.id: slot_length(c, quota_kwh, minutes) for c in connectors}
    longest = max(lengths.values(), default=cfg.default)
    busy = _busy(connectors, day_start, day_end + longest + cfg.changeover)
    result = []
    for c in connectors:
        free, t = [], day_start
        while t < day_end:
            end = t + lengths[c.id]
            if (earliest <= t <= latest and slot_times.inside(intervals, t, end)
                    and not _clashes(busy[c.id], t, end + cfg.changeover)):
                free.append(t)
            t += cfg.step
        result.append(ConnectorSlots(c, free))
    return station, result


def _check_time(station: Station, start: datetime, length: timedelta) -> list[tuple[datetime, datetime]]:
    """Refuse a start off the step, too soon, too far ahead or outside the opening hours; the open intervals."""
    cfg = slot_times.settings()
    now = utcnow()
    if not slot_times.on_step(start, cfg.step):
        raise InvalidInput(f"Slots start every {cfg.step.seconds // 60} minutes.", {"field": "slot_time"})
    if start < now + cfg.lead:
        raise InvalidInput(f"Book at least {timers.describe(cfg.lead)} ahead; for now, place a hold.",
                           {"field": "slot_time"})
    if start > now + cfg.max_ahead:
        raise InvalidInput(f"Book at most {cfg.max_ahead.days} days ahead.", {"field": "slot_time"})
    day = slot_times.local_date(station, start)
    intervals = slot_times.open_intervals(station, day, day + timedelta(days=2))
    if not slot_times.inside(intervals, start, start + length):
        raise StationClosed("Station is closed at that time. Choose a time inside its opening hours.")
    return intervals


def book_slot(user: User, station_id: int, slot_time: datetime, quota_kwh: float | None = None,
              minutes: int | None = None, connector_id: int | None = None) -> Booking:
    """Book [slot_time, + length) on `connector_id` or the first free connector of the station (SLOT_HELD:
    pay before hold_expires_at). StationClosed outside the opening hours, Conflict when nothing is free."""
    if slot_time.tzinfo is None:
        raise InvalidInput("Give the slot time with its UTC offset (ISO 8601).", {"field": "slot_time"})
    slot_time = slot_time.astimezone(UTC)
    for _ in range(ATTEMPTS):
        booking = _try_book(user, station_id, slot_time, quota_kwh, minutes, connector_id)
        if booking is not None:
            return booking
        if connector_id is not None:
            break
    raise Conflict("Sorry, that slot was just taken. Choose another time.")


def _try_book(user, station_id, slot_time, quota_kwh, minutes, connector_id) -> Booking | None:
    """One check-and-insert transaction; None when PostgreSQL's constraint refused the insert (a lost race)."""
    user_id = user.id
    check_driver(user)
    slot_limits.check_driver_limit(user_id)
    station = station_or_404(station_id)
    connectors = _in_service(station)
    if connector_id is not None:
        connectors = [c for c in connectors if c.id == connector_id]
        if not connectors:
            raise NotFound("No such connector in service at this station.")
    if not connectors:
        raise Conflict("This station has no charger in service.")
    cfg = slot_times.settings()
    lengths = {c.id: slot_length(c, quota_kwh, minutes) for c in connectors}
    intervals = _check_time(station, slot_time, min(lengths.values()))
    slot_gaps.expire_stale_slots(Booking.connector_id.in_([c.id for c in connectors]))
    busy = _busy(connectors, slot_time, slot_time + max(lengths.values()) + cfg.changeover)
    free = [c for c in connectors if slot_times.inside(intervals, slot_time, slot_time + lengths[c.id])
            and not _clashes(busy[c.id], slot_time, slot_time + lengths[c.id] + cfg.changeover)]
    if not free:
        db.session.rollback()
        raise Conflict("No connector is free at that time. Choose another time.")
    connector, now = free[0], utcnow()
    end = slot_time + lengths[connector.id]
    tariff = station.tariff
    booking = Booking(user_id=user_id, connector_id=connector.id, status="SLOT_HELD", created_at=now,
                      hold_expires_at=now + timers.duration("HOLD"), quota_kwh=quota_kwh,
                      slot_start=slot_time, slot_end=end, slot_clear_at=end + cfg.changeover,
                      currency=tariff.currency if tariff else "INR")
    db.session.add(booking)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return None
    slot_limits.schedule_expiry(booking)
    trail.log("booking.slot", booking, None, slot_start=slot_time.isoformat(), slot_end=end.isoformat())
    db.session.commit()
    return booking
