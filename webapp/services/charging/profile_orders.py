"""Sending a station's plan: the charging profiles that change, in an order that keeps the station within its
limit at every step, each answer recorded as a charger event and what was accepted stored as in force.

An ``Order`` is one SetChargingProfile (a session's TxProfile, a connector's TxDefaultProfile, a charger's
ChargePointMaxProfile) or one ClearChargingProfile of ours. ``send()`` puts lower limits first and raises
last (a charger cap before the limits under it); a raise goes out only while what is in force (TxProfiles
and idle connectors' TxDefaultProfiles, which a charger starting on its own would use) stays within the
limit, else it is held back and recorded. Accepted profiles are stored (``ChargingSession.power_limit_kw``,
``Connector.default_limit_kw``, ``Charger.max_limit_kw``); a clear answered Accepted or Unknown (nothing
was left: a charger drops a TxProfile with its transaction) stores None. A charger that does not answer
keeps what was stored: the next plan sends it again. It sends commands: only from a job.
"""
import logging
from dataclasses import dataclass, field

from sqlalchemy import update

from ...extensions import db
from ...models import Charger, ChargingSession, Connector
from ..errors import CommandFailed
from ..platform import commands, events
from . import power_plan

log = logging.getLogger(__name__)

TX, DEFAULT, CAP = "TxProfile", "TxDefaultProfile", "ChargePointMaxProfile"
#: Which raise goes first: a charger's cap before the limits under it.
_RAISE_FIRST = {CAP: 0, DEFAULT: 1, TX: 2}


@dataclass(frozen=True)
class Order:
    kind: str  # TX, DEFAULT or CAP
    key: tuple  # what it limits in the station's sum: ("tx", session id), ("default", connector pk), ("cap", charger id)
    cp_id: str
    charger_id: int
    connector: int  # OCPP connector number (0: the charger)
    kw: float | None  # None: ClearChargingProfile
    before: float  # what it allows now (no profile of ours: the hardware's maximum)
    payload: dict = field(compare=False)
    label: str = ""  # for the charger event: "for transaction 7", "on connector 2"

    @property
    def clearing(self) -> bool:
        return self.kw is None

    @property
    def rising(self) -> bool:
        return self.kw is None or self.kw > self.before + power_plan.EPSILON


def send(orders: list[Order], in_force: dict, limit_kw: float | None) -> dict:
    """Send ``orders`` (see the module); ``in_force`` {key: kW} is what the chargers draw or may start at now
    (the sum the limit bounds; caps are not in it) and is kept up to date. Returns {key: status}."""
    ordered = sorted(orders, key=lambda o: (o.rising, _RAISE_FIRST[o.kind] if o.rising else 0,
                                            (o.kw if o.kw is not None else o.before) - o.before, o.key))
    outcomes = {}
    for order in ordered:
        if order.key in in_force and order.rising and not order.clearing and limit_kw is not None:
            others = sum(kw for key, kw in in_force.items() if key != order.key)
            if others + order.kw > limit_kw + power_plan.EPSILON:
                _record(order, "held back: a lower limit was not accepted")
                outcomes[order.key] = "held back"
                continue
        status = _call(order)
        outcomes[order.key] = status
        if status == "Accepted" or (order.clearing and status == "Unknown"):
            _store(order)
            if order.key in in_force and not order.clearing:
                in_force[order.key] = order.kw
        db.session.commit()
    return outcomes


def _call(order: Order) -> str:
    action = "ClearChargingProfile" if order.clearing else "SetChargingProfile"
    try:
        status = commands.send(order.cp_id, action, order.payload).get("status", "Rejected")
    except CommandFailed as exc:
        status = f"failed ({exc})"
    _record(order, status)
    return status


def _record(order: Order, outcome: str) -> None:
    if order.clearing:
        events.record(order.charger_id, "charging_profile_clear",
                      f"ClearChargingProfile {order.kind} {order.label}: {outcome}".replace("  ", " "),
                      order.connector or None)
    else:
        events.record(order.charger_id, "charging_profile",
                      f"{order.kind} {order.kw:.1f} kW {order.label}: {outcome}".replace("  ", " "),
                      order.connector or None)


def _store(order: Order) -> None:
    kind, ident = order.key
    if kind in ("tx", "ended"):
        db.session.execute(update(ChargingSession).where(ChargingSession.id == ident).values(power_limit_kw=order.kw))
    elif kind == "default":
        db.session.execute(update(Connector).where(Connector.id == ident).values(default_limit_kw=order.kw))
    else:
        db.session.execute(update(Charger).where(Charger.id == ident).values(max_limit_kw=order.kw))


def skipped(order: Order, why: str) -> None:
    """An order the plan wanted but does not send (the charger's profile budget): recorded, nothing stored."""
    _record(order, f"not sent: {why}")
