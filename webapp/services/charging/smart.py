"""Smart charging (OCPP 1.6 Smart Charging profile): a station's sessions within its power limit, Solar
sessions following its solar production (at least the floor each driver chose), one TxProfile per session
sent only when it changes, and around them the profiles that hold the limit when no plan has reached a
charger yet (``station_orders``: a TxDefaultProfile per idle connector, a ChargePointMaxProfile per charger
with several connectors, the clears of ended and stale profiles).

``rebalance(station_id)`` is the one entry point: it reads the station's live sessions, asks the pure
planner (``power_plan``) for their limits and sends, through the command bus (``profile_orders.send``), only
what moved; lower limits go first, and a raise goes out only while the limits in force (what each charger
accepted; a session never sent one: the TxDefaultProfile it started under, else its cap) stay within the
station's limit, so the station is never over its limit halfway through. Each answer is a charger event; a
session's ``power_limit_kw`` is what its charger accepted. It sends commands: call it from a job
(``jobs.smart``), never from a request or socket. A socket only asks for one (``start_answered``, right
after a StartTransaction answer).

A charger without SmartCharging (``capable()`` False, or its configuration not read yet) gets no profile:
its sessions run at the connector's power and that power is taken off the limit the others share.
"""
import logging
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import time, timedelta

from flask import current_app
from sqlalchemy import func, or_, select, union

from ...extensions import db
from ...models import Booking, Charger, ChargingSession, Connector, SolarSample, Station
from ...timeutil import iso, parse_iso, utcnow
from ..errors import CommandFailed
from ..platform import commands, events, listeners, timers
from . import power_plan, profile_orders, profiles, station_orders

log = logging.getLogger(__name__)

CONFIG_KEYS = ("SupportedFeatureProfiles", "ChargeProfileMaxStackLevel",
               "ChargingScheduleAllowedChargingRateUnit", "MaxChargingProfilesInstalled")
#: How far back a solar report still counts as the station's production now.
SOLAR_FRESH = timedelta(minutes=10)
#: The modes whose sessions get a TxProfile even where the station has no limit.
PLANNED_MODES = (power_plan.SOLAR, power_plan.STANDARD)
#: How long a station's planning turn may be held (a rebalance waits on its chargers' answers).
TURN_SECONDS = 120
_LOCAL_TURN = threading.Lock()
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


# -- what a charger takes ------------------------------------------------------------------------------------
def caps(charger: Charger) -> profiles.ChargerCaps:
    return profiles.ChargerCaps.from_configuration(charger.smart_config or {})


def capable(charger: Charger) -> bool:
    """Whether the charger said (GetConfiguration after its boot) it has the Smart Charging profile."""
    return charger.smart_config is not None and caps(charger).smart_charging


def read_configuration_later(cp_id: str) -> None:
    """After an accepted BootNotification: read the Smart Charging keys in a job, once the answer is out."""
    timers.schedule("jobs.smart.read_configuration", utcnow() + _delay(), cp_id)


# The keys read last are stored with when, and for which boot identity (vendor, model, firmware): a charger
# that boots again with the same identity within SMART_CONFIG_MAX_AGE_SECONDS keeps them and is not asked
# again (a reconnect storm would otherwise send a GetConfiguration to every charger). Under this key of
# smart_config; ChargerCaps reads only the OCPP keys.
READ_MARK = "_read"


def boot_identity(vendor: str | None, model: str | None, firmware: str | None) -> str:
    """What a BootNotification says the charger is, as stored on it (vendor and model cut to 20)."""
    return f"{(vendor or '')[:20]}|{(model or '')[:20]}|{firmware or ''}"


def configuration_fresh(smart_config: dict | None, identity: str) -> bool:
    """Whether `smart_config` was read for this boot identity within SMART_CONFIG_MAX_AGE_SECONDS."""
    max_age = current_app.config["SMART_CONFIG_MAX_AGE_SECONDS"]
    mark = smart_config.get(READ_MARK) if isinstance(smart_config, dict) else None
    if max_age <= 0 or not isinstance(mark, dict) or mark.get("boot") != identity:
        return False
    try:
        read_at = parse_iso(mark["at"])
    except (KeyError, TypeError, ValueError):
        return False
    return timedelta(0) <= utcnow() - read_at < timedelta(seconds=max_age)


def read_configuration_after_boot(cp_id: str, smart_config: dict | None, identity: str) -> bool:
    """An accepted boot in the caller's transaction: the keys read in a job unless they are fresh for this
    boot identity. Whether a read was scheduled."""
    if configuration_fresh(smart_config, identity):
        return False
    read_configuration_later(cp_id)
    return True


def read_configuration(cp_id: str) -> dict | None:
    """GetConfiguration of ``CONFIG_KEYS``, stored on the charger ({key: value} of the known ones)."""
    try:
        answer = commands.get_configuration(cp_id, list(CONFIG_KEYS))
    except CommandFailed as exc:
        charger = _charger(cp_id)
        events.record(charger.id, "smart_config", f"GetConfiguration failed: {exc}")
        db.session.commit()
        return None
    keys = {k["key"]: k.get("value", "") for k in answer.get("configurationKey") or []
            if isinstance(k, dict) and k.get("key") in CONFIG_KEYS}
    charger = _charger(cp_id)
    charger.smart_config = {**keys, READ_MARK: {"at": iso(utcnow()),
                                                "boot": boot_identity(charger.vendor, charger.model,
                                                                      charger.firmware_version)}}
    found = profiles.ChargerCaps.from_configuration(keys)
    events.record(charger.id, "smart_config",
                  f"SmartCharging {'yes' if found.smart_charging else 'no'}, units {','.join(found.units)}, "
                  f"stack level {found.max_stack_level}, profiles {found.max_profiles or '?'}")
    if found.smart_charging and charger.station_id is not None:
        _after_boot(charger)
    db.session.commit()
    return keys


def _after_boot(charger: Charger) -> None:
    """A booted charger may have kept or lost our profiles: where the station has a limit, its defaults and
    cap are taken as unknown and sent again (the same ids replace them); where it has none any more, the
    ones still stored are cleared. Either way in a rebalance job."""
    station = charger.station
    stored = charger.max_limit_kw is not None or any(c.default_limit_kw is not None for c in charger.connectors)
    if station.power_limit_kw is not None or station.power_schedule:
        charger.max_limit_kw = None
        for connector in charger.connectors:
            connector.default_limit_kw = None
    elif not stored:
        return
    timers.enqueue("jobs.smart.rebalance", charger.station_id)


def composite(charger: Charger, connector: int = 0, duration: int = 3600):
    """GetCompositeSchedule through the bus: (start, [(offset s, kW)]), or None when the charger has no Smart
    Charging or did not accept (CommandFailed when it does not answer)."""
    if not capable(charger):
        return None
    found = caps(charger)
    answer = commands.send(charger.charge_point_id, "GetCompositeSchedule",
                           {"connectorId": connector, "duration": duration, "chargingRateUnit": found.unit})
    return profiles.parse_composite(answer, found)


def _charger(cp_id: str) -> Charger:
    return db.session.execute(select(Charger).where(Charger.charge_point_id == cp_id)).scalar_one()


def _delay() -> timedelta:
    return timedelta(seconds=current_app.config["SMART_DELAY_SECONDS"])


# -- the station -----------------------------------------------------------------------------------------------
def limit_windows(schedule: list | None) -> list[power_plan.LimitWindow]:
    """A station's ``power_schedule`` ([["HH:MM", "HH:MM", kW], ...]) as planner windows."""
    return [power_plan.LimitWindow(time.fromisoformat(start), time.fromisoformat(end), float(kw))
            for start, end, kw in schedule or []]


def station_limit_kw(station: Station, at=None) -> float | None:
    return power_plan.station_limit_kw(station.power_limit_kw, limit_windows(station.power_schedule),
                                       at or utcnow(), station.timezone)


def solar_kw(station_id: int, now=None) -> float:
    """The station's solar production now: the newest fresh report of each of its chargers, summed."""
    now = now or utcnow()
    newest = (select(SolarSample.charger_id, func.max(SolarSample.timestamp).label("at"))
              .join(Charger, Charger.id == SolarSample.charger_id)
              .where(Charger.station_id == station_id, SolarSample.timestamp >= now - SOLAR_FRESH)
              .group_by(SolarSample.charger_id).subquery())
    total = db.session.execute(select(func.sum(SolarSample.kw)).join(
        newest, (newest.c.charger_id == SolarSample.charger_id) & (newest.c.at == SolarSample.timestamp))).scalar()
    return float(total or 0.0)


@dataclass(frozen=True)
class Live:
    """One live session as rebalance reads it (plain values: sending a command commits and expires rows)."""

    session_id: int
    cp_id: str
    charger_id: int
    connector: int
    max_kw: float
    mode: str
    sent_kw: float | None
    started_at: object
    caps: profiles.ChargerCaps
    smart: bool
    floor_kw: float | None = None  # the Solar floor the driver chose (None: the SMART_SOLAR_FLOOR_KW)
    connector_pk: int = 0
    wiring: profiles.Wiring = profiles.Wiring()
    default_kw: float | None = None  # the connector's TxDefaultProfile of ours, what it started at

    @property
    def in_force_kw(self) -> float:
        """What it may draw now: its TxProfile, else the TxDefaultProfile it started under, else its maximum."""
        for kw in (self.sent_kw, self.default_kw):
            if kw is not None:
                return kw
        return self.max_kw


def live_sessions(station_id: int) -> list[Live]:
    rows = db.session.execute(
        select(ChargingSession, Connector, Charger, Booking.charging_mode, Booking.solar_floor_kw)
        .join(Connector, Connector.id == ChargingSession.connector_id)
        .join(Charger, Charger.id == Connector.charger_id)
        .outerjoin(Booking, Booking.id == ChargingSession.booking_id)
        .where(Charger.station_id == station_id, ChargingSession.stopped_at.is_(None),
               ChargingSession.auth_status == "Accepted")
        .order_by(ChargingSession.started_at, ChargingSession.id)).all()
    return [Live(s.id, ch.charge_point_id, ch.id, c.connector_id, c.max_power_kw, mode or power_plan.FAST,
                 s.power_limit_kw, s.started_at, caps(ch), capable(ch), floor, c.id, station_orders.wiring(c),
                 c.default_limit_kw)
            for s, c, ch, mode, floor in rows]


def plan_for(station: Station, live: list[Live]) -> tuple[power_plan.Plan, float | None]:
    """The plan of the station's smart sessions and the limit they share (the station's, less what the
    sessions on chargers without Smart Charging draw at full power). A Solar session keeps the floor its
    driver chose at checkout (or changed to), SMART_SOLAR_FLOOR_KW when it has none."""
    limit = station_limit_kw(station)
    fixed = sum(s.max_kw for s in live if not s.smart)
    shared = None if limit is None else max(0.0, limit - fixed)
    least = current_app.config["SMART_SOLAR_FLOOR_KW"]
    sessions = [power_plan.Session(s.session_id, s.max_kw, s.mode,
                                   (s.floor_kw or least) if s.mode == power_plan.SOLAR else 0.0,
                                   mode_cap_kw=station.standard_kw, started_at=s.started_at, sent_kw=s.sent_kw)
                for s in live if s.smart]
    return power_plan.plan(shared, sessions, solar_kw(station.id)), shared


@contextmanager
def _planning_turn(station_id: int):
    """Yields whether this job may plan the station now: one rebalance of a station at a time across RQ
    workers (a Redis key held while it runs, expiring should the worker die); embedded, one timer thread
    runs every job, and a process lock covers the rest."""
    connection = timers.redis()
    if connection is None:
        with _LOCAL_TURN:
            yield True
        return
    key, token = f"cw:smart:{station_id}", uuid.uuid4().hex
    held = bool(connection.set(key, token, nx=True, ex=TURN_SECONDS))
    try:
        yield held
    finally:
        if held:
            connection.eval(_RELEASE, 1, key, token)


def rebalance(station_id: int) -> power_plan.Plan:
    """Plan the station's sessions and send the profiles that change (see the module). While another job
    plans the same station this one is put off by SMART_DELAY_SECONDS (nothing is lost: it re-reads all)."""
    with _planning_turn(station_id) as mine:
        if not mine:
            timers.schedule("jobs.smart.rebalance", utcnow() + _delay(), station_id)
            db.session.commit()
            return power_plan.Plan()
        return _rebalance(station_id)


def _rebalance(station_id: int) -> power_plan.Plan:
    station = db.session.get(Station, station_id)
    if station is None:
        return power_plan.Plan()
    live = live_sessions(station_id)
    plan, limit = plan_for(station, live)
    threshold = current_app.config["SMART_THRESHOLD_KW"]
    by_id = {s.session_id: s for s in live if s.smart}
    sent = {sid: s.sent_kw for sid, s in by_id.items() if s.sent_kw is not None}
    in_force = {("tx", sid): s.in_force_kw for sid, s in by_id.items()}
    orders = [_tx_order(by_id[sid], kw) for sid, kw in
              power_plan.changes(sent, plan.limits, threshold, limit).items()]
    busy = {s.connector_pk for s in live}
    points = station_orders.chargers(station_id, busy, lambda ch: caps(ch) if capable(ch) else None)
    orders += station_orders.defaults(points, plan, limit, threshold, in_force)
    orders += station_orders.ended_profiles(station_id, busy, points)
    profile_orders.send(orders, in_force, limit)
    _replan_at_next_window(station)
    db.session.commit()
    return plan


def _replan_at_next_window(station: Station) -> None:
    """A station's limit changes at its windows' edges: a window starting before the next periodic replan gets
    its own one at that moment, so the sessions' limits follow the new limit at once, not up to
    SMART_REPLAN_SECONDS later. (Each replan plans the next edge again; one that runs early re-plans the same.)"""
    windows = limit_windows(station.power_schedule)
    if not windows:
        return
    now = utcnow()
    edge = power_plan.next_change(windows, now, station.timezone)
    if edge is not None and edge - now <= timedelta(seconds=current_app.config["SMART_REPLAN_SECONDS"]):
        timers.schedule("jobs.smart.rebalance", edge, station.id)


def _tx_order(session: Live, kw: float) -> profile_orders.Order:
    payload = profiles.tx_profile(session.connector, session.session_id, kw, session.caps, wiring=session.wiring)
    return profile_orders.Order(profile_orders.TX, ("tx", session.session_id), session.cp_id, session.charger_id,
                                session.connector, kw, session.in_force_kw, payload,
                                f"for transaction {session.session_id}")


# -- when to rebalance -----------------------------------------------------------------------------------------
def wants_plan(station_id: int) -> bool:
    """A station with a power limit (or a limit schedule), or with a live Solar or Standard session."""
    station = db.session.get(Station, station_id)
    if station is None:
        return False
    if station.power_limit_kw is not None or station.power_schedule:
        return True
    return any(s.mode in PLANNED_MODES for s in live_sessions(station_id))


def session_changed(session: ChargingSession) -> None:
    """A session started or ended: rebalance its station in a job, SMART_DELAY_SECONDS later (after the
    answer reached the charger, whose transaction id a TxProfile names). For a start over a socket this is
    the safety net: ``start_answered`` plans as soon as the answer is sent; a rebalance sending nothing new
    twice is harmless."""
    station_id = session.connector.charger.station_id
    if station_id is not None and wants_plan(station_id):
        timers.schedule("jobs.smart.rebalance", utcnow() + _delay(), station_id)


def start_answered(cp_id: str, answer: dict) -> None:
    """The StartTransaction answer is on its way to the charger: plan the station at once (a Solar or
    Standard session must not draw full power for long), not SMART_DELAY_SECONDS later; the caller commits."""
    tx = answer.get("transactionId")
    if (answer.get("idTagInfo") or {}).get("status") != "Accepted" or tx is None:
        return
    session = db.session.get(ChargingSession, tx)
    station_id = session.connector.charger.station_id if session is not None else None
    if station_id is not None and wants_plan(station_id):
        timers.enqueue("jobs.smart.rebalance", station_id)


def replan_soon(station_id: int) -> None:
    """A live session's mode or quota changed: re-plan its station in a job, once the change commits."""
    timers.enqueue("jobs.smart.rebalance", station_id)


def planned_stations() -> list[int]:
    """The active stations that want a plan (``wants_plan``), in one query."""
    limited = select(Station.id).where(Station.status == "active", or_(
        Station.power_limit_kw.is_not(None), Station.power_schedule.is_not(None)))
    solar = (select(Charger.station_id).join(Connector, Connector.charger_id == Charger.id)
             .join(ChargingSession, ChargingSession.connector_id == Connector.id)
             .join(Booking, Booking.id == ChargingSession.booking_id)
             .join(Station, Station.id == Charger.station_id)
             .where(Station.status == "active", ChargingSession.stopped_at.is_(None),
                    Booking.charging_mode.in_(PLANNED_MODES)))
    return sorted(set(db.session.execute(union(limited, solar)).scalars()))


def replan_all() -> int:
    """The periodic replan (solar moves, time-of-day limits): every station that wants a plan; how many."""
    wanted = planned_stations()
    for sid in wanted:
        rebalance(sid)
    return len(wanted)


def register() -> None:
    """Listen for sessions starting and ending (idempotent: each create_app calls it)."""
    listeners.listen("session_started", session_changed)
    listeners.listen("session_ended", session_changed)
