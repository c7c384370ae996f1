"""What the console shows of a station's smart charging: the plan now (session -> limit) and solar production
against charging power over the last hours."""
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from ...extensions import db
from ...models import Charger, ChargingSession, Connector, MeterSample, SolarSample, Station
from ...timeutil import utcnow
from ..charging import smart
from ..charging.metering import POWER, Sample, outlet_readings


@dataclass(frozen=True)
class PlanRow:
    session_id: int
    label: str
    mode: str
    smart: bool
    planned_kw: float | None  # None: its charger takes no profile (full power)
    sent_kw: float | None
    metered_kw: float | None


@dataclass(frozen=True)
class StationPower:
    limit_kw: float | None
    solar_kw: float
    rows: list[PlanRow]
    waiting: tuple


def station_power(station: Station) -> StationPower:
    """The plan rebalance would make now, next to what each charger accepted and what it meters."""
    live = smart.live_sessions(station.id)
    plan, _ = smart.plan_for(station, live)
    power = {sid: w for sid, w in db.session.execute(select(ChargingSession.id, ChargingSession.power_w).where(
        ChargingSession.id.in_([s.session_id for s in live]))).all()}
    rows = [PlanRow(s.session_id, f"{s.cp_id} #{s.connector}", s.mode, s.smart,
                    plan.limits.get(s.session_id) if s.smart else None, s.sent_kw,
                    None if power.get(s.session_id) is None else power[s.session_id] / 1000) for s in live]
    return StationPower(smart.station_limit_kw(station), smart.solar_kw(station.id), rows, plan.waiting)


def _buckets(points, bucket: timedelta, origin: datetime) -> dict:
    """{(bucket start, key): mean} of (time, key, value) points."""
    sums = defaultdict(lambda: [0.0, 0])
    for ts, key, value in points:
        start = origin + bucket * ((ts - origin) // bucket)
        sums[(start, key)][0] += value
        sums[(start, key)][1] += 1
    return {k: total / n for k, (total, n) in sums.items()}


def _summed(means: dict) -> list[tuple[datetime, float]]:
    totals = defaultdict(float)
    for (start, _), value in means.items():
        totals[start] += value
    return sorted(totals.items())


def production(station_id: int, hours: int = 6, bucket: timedelta = timedelta(minutes=5),
               now: datetime | None = None) -> dict[str, list[tuple[datetime, float]]]:
    """Solar production (kW, the station's chargers summed) and charging power (kW, its sessions summed),
    each averaged per ``bucket`` over the last ``hours``."""
    since = (now or utcnow()) - timedelta(hours=hours)
    solar = db.session.execute(select(SolarSample.timestamp, SolarSample.charger_id, SolarSample.kw)
                               .join(Charger, Charger.id == SolarSample.charger_id)
                               .where(Charger.station_id == station_id, SolarSample.timestamp >= since)).all()
    rows = db.session.execute(select(MeterSample.session_id, MeterSample.timestamp, MeterSample.measurand,
                                     MeterSample.value, MeterSample.location, MeterSample.phase, MeterSample.unit)
                              .join(Connector, Connector.id == MeterSample.connector_id)
                              .join(Charger, Charger.id == Connector.charger_id)
                              .where(Charger.station_id == station_id, MeterSample.timestamp >= since,
                                     MeterSample.measurand == POWER, MeterSample.session_id.is_not(None))).all()
    by_session = defaultdict(list)
    for sid, *sample in rows:
        by_session[sid].append(Sample(*sample))
    charging = [(ts, sid, reading[POWER] / 1000) for sid, samples in by_session.items()
                for ts, reading in outlet_readings(samples).items() if POWER in reading]
    return {"solar": _summed(_buckets(solar, bucket, since)), "charging": _summed(_buckets(charging, bucket, since))}
