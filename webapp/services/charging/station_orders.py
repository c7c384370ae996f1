"""The profiles a station's plan puts on its chargers besides the sessions' TxProfiles.

* **TxDefaultProfile per idle connector** (while the station has a limit): what the limit leaves after the
  planned sessions, shared fairly between the idle connectors (``power_plan.idle_defaults``), so a charger
  that starts a transaction on its own (a local card, a free-vend mode) stays within the limit until the
  session's TxProfile arrives; 0 when the sessions take the whole limit.
* **ChargePointMaxProfile per charger with several connectors**: its share of the station limit, the sum of
  its sessions' limits and its idle connectors' defaults.
* **ClearChargingProfile** of an ended session's TxProfile (unless another session already runs on the
  connector: its TxProfile has the same id and replaced it), and of our defaults and caps once the station
  has no limit any more (stale profiles).

``MaxChargingProfilesInstalled`` is honoured per charger: the session's TxProfiles come first, then the
charger's cap, then the defaults; a charger that cannot keep a TxDefaultProfile and a TxProfile on every
connector (and the cap) gets no defaults (its cap still bounds it), one that cannot keep the cap and a
TxProfile per connector gets no cap either. Reads and orders (the one write: an ended session whose TxProfile a
new session on its connector replaced is marked cleared); ``profile_orders.send`` sends them.
"""
from dataclasses import dataclass

from sqlalchemy import select, update

from ...extensions import db
from ...models import Charger, ChargingSession, Connector
from ...timeutil import utcnow
from . import power_plan, profiles
from .profile_orders import CAP, DEFAULT, TX, Order


@dataclass(frozen=True)
class Idle:
    pk: int
    number: int
    max_kw: float
    wiring: profiles.Wiring
    default_kw: float | None  # ours in force (None: none)


@dataclass(frozen=True)
class Point:
    """A smart charger of the station, online, with its connectors (``idle``: those without a live session)."""

    charger_id: int
    cp_id: str
    caps: profiles.ChargerCaps
    cap_kw: float | None  # our ChargePointMaxProfile in force (None: none)
    connectors: int
    max_kw: float  # all its connectors at full power
    wiring: profiles.Wiring
    idle: tuple[Idle, ...]

    @property
    def wants_cap(self) -> bool:
        return self.connectors >= 2

    @property
    def takes_cap(self) -> bool:
        room = self.caps.max_profiles
        return self.wants_cap and (room is None or room >= 1 + self.connectors)

    @property
    def takes_defaults(self) -> bool:
        room = self.caps.max_profiles
        return room is None or room >= int(self.takes_cap) + 2 * self.connectors


def chargers(station_id: int, busy: set[int], caps_of) -> list[Point]:
    """The station's online chargers that take profiles (``caps_of(charger)``: its ChargerCaps, None when
    it has no Smart Charging), with their idle connectors (``busy``: connector pks with a live session)."""
    rows = db.session.execute(select(Charger).where(Charger.station_id == station_id, Charger.online.is_(True))
                              .order_by(Charger.id)).scalars().all()
    points = []
    for ch in rows:
        found = caps_of(ch)
        if found is None or not ch.connectors:
            continue
        widest = max(ch.connectors, key=lambda c: (c.phases or 3, c.voltage or profiles.VOLTAGE))
        idle = tuple(Idle(c.id, c.connector_id, c.max_power_kw, wiring(c), c.default_limit_kw)
                     for c in sorted(ch.connectors, key=lambda c: c.connector_id) if c.id not in busy)
        points.append(Point(ch.id, ch.charge_point_id, found, ch.max_limit_kw, len(ch.connectors),
                            sum(c.max_power_kw for c in ch.connectors), wiring(widest), idle))
    return points


def wiring(connector: Connector) -> profiles.Wiring:
    return profiles.Wiring(connector.phases or 3, connector.voltage or profiles.VOLTAGE)


def defaults(points: list[Point], plan: power_plan.Plan, limit: float | None, threshold: float,
             in_force: dict) -> list[Order]:
    """TxDefaultProfiles and ChargePointMaxProfiles that change (clears without a limit); the idle
    connectors that take defaults are added to ``in_force`` (a charger starting on its own would use them)."""
    if limit is None:
        return _stale(points)
    idle = {i.pk: i for p in points for i in p.idle}
    planned = power_plan.idle_defaults(limit, sum(plan.limits.values()), {pk: i.max_kw for pk, i in idle.items()})
    by_charger = _session_limits(points, plan)
    orders = []
    for p in points:
        if p.takes_defaults:
            for i in p.idle:
                before = i.default_kw if i.default_kw is not None else i.max_kw
                in_force[("default", i.pk)] = before
                if power_plan.worth_sending(i.default_kw, planned[i.pk], threshold):
                    orders.append(_default(p, i, planned[i.pk], before))
        if p.takes_cap:
            share = min(limit, by_charger.get(p.charger_id, 0.0) + sum(planned[i.pk] for i in p.idle))
            if power_plan.worth_sending(p.cap_kw, share, threshold):
                orders.append(_cap(p, share))
    return orders


def _session_limits(points: list[Point], plan: power_plan.Plan) -> dict:
    """{charger id: the sum of its sessions' planned limits}."""
    if not plan.limits:
        return {}
    rows = db.session.execute(select(ChargingSession.id, Connector.charger_id)
                              .join(Connector, Connector.id == ChargingSession.connector_id)
                              .where(ChargingSession.id.in_(list(plan.limits)))).all()
    totals: dict = {}
    for sid, charger_id in rows:
        totals[charger_id] = totals.get(charger_id, 0.0) + plan.limits[sid]
    return totals


def _default(p: Point, i: Idle, kw: float, before: float) -> Order:
    return Order(DEFAULT, ("default", i.pk), p.cp_id, p.charger_id, i.number, kw, before,
                 profiles.tx_default_profile(i.number, kw, p.caps, wiring=i.wiring), f"on connector {i.number}")


def _cap(p: Point, kw: float) -> Order:
    before = p.cap_kw if p.cap_kw is not None else p.max_kw
    return Order(CAP, ("cap", p.charger_id), p.cp_id, p.charger_id, 0, kw, before,
                 profiles.charge_point_max_profile([(0, kw)], p.caps, utcnow(), wiring=p.wiring), "for the charger")


def _stale(points: list[Point]) -> list[Order]:
    """Without a station limit: clear the defaults and caps of ours still in force."""
    orders = []
    for p in points:
        for i in p.idle:
            if i.default_kw is not None:
                orders.append(Order(DEFAULT, ("default", i.pk), p.cp_id, p.charger_id, i.number, None, i.default_kw,
                                    profiles.clear_profile(profiles.TX_DEFAULT_BASE + i.number),
                                    f"on connector {i.number}"))
        if p.cap_kw is not None:
            orders.append(Order(CAP, ("cap", p.charger_id), p.cp_id, p.charger_id, 0, None, p.cap_kw,
                                profiles.clear_profile(profiles.CHARGE_POINT_MAX_ID), "for the charger"))
    return orders


def ended_profiles(station_id: int, busy: set[int], points: list[Point]) -> list[Order]:
    """Clears of the TxProfiles of ended sessions (the partial index lists them); where a new session runs on
    the connector its TxProfile replaced the old one (same id): the ended one is just marked cleared."""
    rows = db.session.execute(
        select(ChargingSession.id, Connector.id, Connector.connector_id, Connector.charger_id,
               ChargingSession.power_limit_kw)
        .join(Connector, Connector.id == ChargingSession.connector_id)
        .join(Charger, Charger.id == Connector.charger_id)
        .where(Charger.station_id == station_id, ChargingSession.stopped_at.is_not(None),
               ChargingSession.power_limit_kw.is_not(None))).all()
    online = {p.charger_id: p for p in points}
    orders, replaced = [], []
    for sid, pk, number, charger_id, kw in rows:
        if pk in busy:
            replaced.append(sid)
        elif charger_id in online:
            p = online[charger_id]
            orders.append(Order(TX, ("ended", sid), p.cp_id, charger_id, number, None, kw,
                                profiles.clear_profile(profiles.TX_BASE + number), f"of transaction {sid}"))
    if replaced:
        db.session.execute(update(ChargingSession).where(ChargingSession.id.in_(replaced)).values(power_limit_kw=None))
    return orders
