"""Meter readings: MeterValues (and StopTransaction's transactionData) stored in set-based statements.

A batch of MeterValues costs four statements whatever its size: the chargers' connector ids (cached per
process), one SELECT ... FOR UPDATE of the sessions as plain rows, one INSERT ... ON CONFLICT DO NOTHING of
all the samples and one UPDATE of the sessions (both services/platform/bulk.py). The unique key on connector, time,
measurand, phase and location drops replays and duplicates, and only samples that were actually inserted
move a session's energy, power and SoC, so a replay after a reconnect changes nothing. Only a session whose
bought quota is now used up is loaded as an object, to stop it. The caller commits.
"""
import math
import time
from collections import defaultdict
from dataclasses import dataclass, fields
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from ...extensions import db
from ...models import Booking, Charger, ChargingSession, Connector, MeterSample
from ...timeutil import parse_iso, utcnow
from . import lifecycle
from ..fleet import chargers
from ..money import topups
from ..platform import bulk, events

ENERGY = "Energy.Active.Import.Register"
POWER = "Power.Active.Import"
SOC = "SoC"
LATE_AFTER_SECONDS = 60
OUTLET = (None, "Outlet")  # OCPP 1.6: a sampledValue without a location is the Outlet's
# The unit each measurand must have (after kWh -> Wh, kW -> W) to be read; OCPP's default unit is Wh, and a
# power or SoC sent without one is taken in W or percent. Anything else is stored but is no reading.
READ_UNITS = {ENERGY: (None, "Wh"), POWER: (None, "W"), SOC: (None, "Percent")}
# Per-phase values that add up to a total, in the order tried: line to neutral is what a meter per phase
# reports as L1 or L1-N; never N, nor line to line (L1-L2), which are not shares of the delivered energy.
PHASE_SETS = (("L1", "L2", "L3"), ("L1-N", "L2-N", "L3-N"))


@dataclass(frozen=True)
class Reading:
    """One MeterValues CALL as the charger sent it (meterValue keeps OCPP's camelCase keys)."""

    cp_id: str
    connector_number: int
    transaction_id: int | None
    meter_value: list[dict]


@dataclass(frozen=True)
class Sample:
    timestamp: datetime
    measurand: str
    value: float
    location: str | None
    phase: str | None = None
    unit: str | None = None


def record(readings: list[Reading]) -> None:
    """Store a batch of MeterValues and update the sessions they belong to (the caller commits)."""
    if not readings:
        return
    connectors = _connectors({r.cp_id for r in readings})
    meters = _locked_meters({r.transaction_id for r in readings if r.transaction_id is not None})
    rows = []
    for reading in readings:
        charger_pk, by_number = connectors[reading.cp_id]  # KeyError: the charger was deleted mid-session
        connector_pk = by_number.get(reading.connector_number)
        if connector_pk is None and reading.connector_number > 0:
            connector_pk = _new_connector(charger_pk, reading.connector_number)
            by_number[reading.connector_number] = connector_pk
            _connector_cache().pop(reading.cp_id, None)  # re-read with the new connector next time
        meter = meters.get(reading.transaction_id) if reading.transaction_id is not None else None
        if reading.transaction_id is not None and (
                meter is None or (connector_pk is not None and meter.connector_id != connector_pk)):
            events.record(charger_pk, "unknown_transaction", f"MeterValues for transaction "
                          f"{reading.transaction_id}", reading.connector_number)
            meter = None
        if connector_pk is not None:  # connector 0 (the main meter) has no row of its own
            rows += sample_rows(connector_pk, meter.id if meter else None, reading.meter_value)
    energy_before = {m.id: m.energy_wh for m in meters.values()}
    moved = []
    for session_id, samples in insert_samples(rows).items():
        if session_id in meters:
            apply_samples(meters[session_id], samples)
            moved.append(meters[session_id])
    now = utcnow()
    bulk.update(ChargingSession.__table__, [
        {"id": m.id, "meter_last": m.meter_last, "energy_wh": m.energy_wh, "power_w": m.power_w,
         "soc_start": m.soc_start, "soc_last": m.soc_last, "updated_at": now} for m in moved])
    for m in moved:
        if m.booking_id is not None and m.stopped_at is None and not m.remote_stop_sent and \
                lifecycle.quota_met(m.quota_kwh, m.quota_minutes, m.energy_wh, m.started_at):
            lifecycle.session_progress(db.session.get(ChargingSession, m.id, populate_existing=True))
    topups.check(moved, energy_before)


def sample_rows(connector_pk: int, session_id: int | None, meter_value: list[dict]) -> list[dict]:
    """meter_samples rows for the sampled values of a meterValue list; kWh and kW become Wh and W."""
    rows = []
    for mv in meter_value:
        ts = parse_iso(mv["timestamp"])
        for sv in mv.get("sampledValue") or mv.get("sampled_value") or []:
            try:
                value = float(sv["value"])
            except (TypeError, ValueError):
                continue
            if not math.isfinite(value):  # "NaN", "inf": no reading (the frame stays in the OCPP log)
                continue
            unit = sv.get("unit")
            if unit in ("kWh", "kW"):  # rounded to mWh: 1.005 kWh is 1005 Wh, not 1004.9999999999999
                value, unit = round(value * 1000, 3), unit[1:]
            rows.append({"session_id": session_id, "connector_id": connector_pk, "timestamp": ts,
                         "measurand": sv.get("measurand", ENERGY), "value": value, "unit": unit,
                         "phase": sv.get("phase") or None, "location": sv.get("location") or None,
                         "context": sv.get("context")})
    return rows


def insert_samples(rows: list[dict]) -> dict[int | None, list[Sample]]:
    """Insert the rows that are new; returns the inserted ones as Samples, by session id."""
    unique = {}
    for row in rows:
        unique.setdefault(_key(row["connector_id"], row["timestamp"], row["measurand"], row["phase"],
                               row["location"]), row)
    if not unique:
        return {}
    inserted = {_key(*row) for row in bulk.insert(
        MeterSample.__table__, list(unique.values()), skip_duplicates=True,
        returning=("connector_id", "timestamp", "measurand", "phase", "location"))}
    fresh: dict[int | None, list[Sample]] = defaultdict(list)
    for key, row in unique.items():
        if key in inserted:
            fresh[row["session_id"]].append(Sample(row["timestamp"], row["measurand"], row["value"],
                                                   row["location"], row["phase"], row["unit"]))
    return fresh


def apply_samples(session: ChargingSession, samples: list[Sample]) -> None:
    """Move the session's meter, power and SoC forward with newly stored samples."""
    # A late batch (replayed after a reconnect) fills history but does not overwrite live power.
    is_current = not is_late(max(s.timestamp for s in samples))
    readings = outlet_readings(samples)
    for when in sorted(readings):
        reading = readings[when]
        if ENERGY in reading:
            session.meter_last = max(session.meter_last or session.meter_start, round(reading[ENERGY]))
        if POWER in reading and is_current:
            session.power_w = reading[POWER]
        if SOC in reading:
            if session.soc_start is None:
                session.soc_start = reading[SOC]
            session.soc_last = reading[SOC]
    if session.stopped_at is None:
        session.energy_wh = max(0, (session.meter_last or session.meter_start) - session.meter_start)


def outlet_readings(samples) -> dict[datetime, dict[str, float]]:
    """What the outlet meter read, per timestamp: {ENERGY: Wh register, POWER: W, SOC: percent}.

    OCPP 1.6: a value without a phase is the total; a timestamp without a total reads the sum of its
    phases (L1+L2+L3, or L1-N+L2-N+L3-N); a phase is never added to a total. Inlet, EV, Body and Cable
    values are not the outlet meter (SoC is the EV's, wherever it is measured). Every context (periodic,
    clock-aligned, interruption, transaction begin/end, trigger) is a reading."""
    totals: dict[tuple[datetime, str], float] = {}
    phases: dict[tuple[datetime, str], dict[str, float]] = defaultdict(dict)
    for s in samples:
        if s.unit not in READ_UNITS.get(s.measurand, ()) or (s.measurand != SOC and s.location not in OUTLET):
            continue
        if s.phase is None:
            totals[(s.timestamp, s.measurand)] = s.value
        else:
            phases[(s.timestamp, s.measurand)][s.phase] = s.value
    readings: dict[datetime, dict[str, float]] = defaultdict(dict)
    for key in totals.keys() | phases.keys():
        if key in totals:
            value = totals[key]
        else:
            by_phase = phases[key]
            family = next((f for f in PHASE_SETS if any(p in by_phase for p in f)), None)
            if family is None:
                continue
            value = sum(by_phase[p] for p in family if p in by_phase)
        readings[key[0]][key[1]] = value
    return readings


def is_late(timestamp: datetime) -> bool:
    return (utcnow() - timestamp).total_seconds() > LATE_AFTER_SECONDS


def _key(connector_pk, timestamp, measurand, phase, location) -> tuple:
    return connector_pk, timestamp, measurand, phase or None, location or None


def _connectors(cp_ids: set[str]) -> dict[str, tuple[int, dict[int, int]]]:
    """{cp_id: (charger pk, {connector number: connector pk})}: from a per-process cache of
    METER_CONNECTOR_CACHE_SECONDS (connectors are added rarely and deleted only before first use), else in
    one query for all the chargers missing from it."""
    cache = _connector_cache()
    now = time.monotonic()
    missing = [cp_id for cp_id in cp_ids if (hit := cache.get(cp_id)) is None or hit[0] < now]
    if missing:
        rows = db.session.execute(
            select(Charger.charge_point_id, Charger.id, Connector.connector_id, Connector.id)
            .outerjoin(Connector, Connector.charger_id == Charger.id)
            .where(Charger.charge_point_id.in_(missing))).all()
        found: dict[str, tuple[int, dict[int, int]]] = {}
        for cp_id, charger_pk, number, connector_pk in rows:
            _, by_number = found.setdefault(cp_id, (charger_pk, {}))
            if number is not None:
                by_number[number] = connector_pk
        expires = now + current_app.config["METER_CONNECTOR_CACHE_SECONDS"]
        for cp_id, (charger_pk, by_number) in found.items():
            cache[cp_id] = (expires, charger_pk, by_number)
    return {cp_id: (cache[cp_id][1], dict(cache[cp_id][2])) for cp_id in cp_ids if cp_id in cache}


def _connector_cache() -> dict:
    return current_app.extensions.setdefault("chargeway_connector_ids", {})


def forget_connectors() -> None:
    """Drop the cached connector ids (after a failed batch: one of them may be gone)."""
    current_app.extensions.pop("chargeway_connector_ids", None)


def _new_connector(charger_pk: int, number: int) -> int:
    charger = db.session.get(Charger, charger_pk)
    return chargers.get_connector(charger, number).id


@dataclass
class _Meter:
    """What MeterValues move in a locked session, and what the quota and top-up checks need from its booking."""

    id: int
    connector_id: int
    meter_start: int
    meter_last: int | None
    energy_wh: int
    power_w: float | None
    soc_start: float | None
    soc_last: float | None
    started_at: datetime
    stopped_at: datetime | None
    remote_stop_sent: bool
    booking_id: int | None
    quota_kwh: float | None
    quota_minutes: int | None
    topup_at_wh: int | None


_BOOKING_FIELDS = 3  # the last fields of _Meter come from the booking
_METER_COLUMNS = [getattr(ChargingSession, f.name) for f in fields(_Meter)[:-_BOOKING_FIELDS]]


def _locked_meters(ids: set[int]) -> dict[int, _Meter]:
    """The sessions as plain rows, locked in id order (the order every writer locks them in)."""
    if not ids:
        return {}
    rows = db.session.execute(
        select(*_METER_COLUMNS, Booking.quota_kwh, Booking.quota_minutes, Booking.topup_at_wh)
        .outerjoin(Booking, Booking.id == ChargingSession.booking_id)
        .where(ChargingSession.id.in_(ids)).order_by(ChargingSession.id)
        .with_for_update(of=ChargingSession.__table__)).all()
    return {row[0]: _Meter(*row) for row in rows}
