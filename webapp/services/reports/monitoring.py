"""Read models for the console: what a user may see, and the live dashboard's figures and alerts."""
from collections import Counter
from datetime import datetime, time, tzinfo

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import (
    CONNECTOR_STATUSES,
    Booking,
    Charger,
    ChargerEvent,
    ChargingSession,
    Connector,
    OcppMessage,
    Payment,
    Station,
    User,
)
from ...timeutil import UTC, utcnow
from ..money import payments


def station_scope(user: User) -> set[int] | None:
    """The station ids a user manages; None means every station (admins)."""
    return None if user.is_admin else {s.id for s in user.stations}


def scoped(query, user: User, station_column):
    """Restrict a query to the user's stations (a no-op for admins)."""
    scope = station_scope(user)
    return query if scope is None else query.where(station_column.in_(scope))


def visible_chargers(user: User) -> list[Charger]:
    """Every charger for admins; an operator's stations' chargers for operators."""
    query = (select(Charger).options(selectinload(Charger.connectors), selectinload(Charger.station))
             .order_by(Charger.charge_point_id))
    return list(db.session.execute(scoped(query, user, Charger.station_id)).scalars())


def visible_stations(user: User, include_retired: bool = True) -> list[Station]:
    """The stations a user manages, by name."""
    query = select(Station).order_by(Station.name)
    if not include_retired:
        query = query.where(Station.status != "retired")
    return list(db.session.execute(scoped(query, user, Station.id)).scalars())


def day_start(now: datetime | None = None, zone: tzinfo = UTC) -> datetime:
    """The midnight, on the wall clock of `zone`, that began `now`'s day (the dashboard's "today"), in UTC."""
    now = now or utcnow()
    return datetime.combine(now.astimezone(zone).date(), time.min, zone).astimezone(UTC)


def revenue_since(user: User, since: datetime, until: datetime | None = None) -> int:
    """Captured money minus dispute refunds in [since, until), in minor units, within the user's stations.

    Debt settlements have no booking (no station) and count for admins only."""
    def total(kinds, sign, extra=()):
        query = (select(func.coalesce(func.sum(Payment.amount), 0))
                 .join(Booking, Payment.booking_id == Booking.id).join(Connector, Booking.connector_id == Connector.id)
                 .join(Charger, Connector.charger_id == Charger.id)
                 .where(Payment.kind.in_(kinds), Payment.status == "succeeded", Payment.created_at >= since, *extra))
        if until is not None:
            query = query.where(Payment.created_at < until)
        # int(): PostgreSQL sums a bigint column as numeric (a Decimal in Python)
        return sign * int(db.session.execute(scoped(query, user, Charger.station_id)).scalar_one())

    amount = total(("capture",), 1) + total(("refund",), -1, (Payment.reason != "unused authorisation",))
    if user.is_admin:
        query = select(func.coalesce(func.sum(Payment.amount), 0)).where(
            Payment.kind == "settle", Payment.status == "succeeded", Payment.created_at >= since)
        if until is not None:
            query = query.where(Payment.created_at < until)
        amount += int(db.session.execute(query).scalar_one())
    return amount


def active_sessions(user: User, limit: int = 50) -> list[ChargingSession]:
    """Sessions in progress at the user's stations, newest first."""
    query = (select(ChargingSession).join(Connector, ChargingSession.connector_id == Connector.id)
             .join(Charger, Connector.charger_id == Charger.id)
             .where(ChargingSession.stopped_at.is_(None), ChargingSession.auth_status == "Accepted")
             .order_by(ChargingSession.started_at.desc()).limit(limit))
    return list(db.session.execute(scoped(query, user, Charger.station_id)).scalars())


def energy_since(user: User, since: datetime) -> int:
    """Wh delivered by sessions started since `since` at the user's stations (running ones so far)."""
    query = (select(func.coalesce(func.sum(ChargingSession.energy_wh), 0))
             .join(Connector, ChargingSession.connector_id == Connector.id)
             .join(Charger, Connector.charger_id == Charger.id).where(ChargingSession.started_at >= since))
    return db.session.execute(scoped(query, user, Charger.station_id)).scalar_one()


def alerts(user: User, chargers: list[Charger]) -> list[dict]:
    """Offline chargers, faulted connectors, overstays and unsettled failed captures, worst first."""
    found = []
    for charger in chargers:
        in_service = not charger.retired and charger.station is not None and charger.station.status != "retired"
        if in_service and not charger.online and charger.registration_status == "Accepted":
            found.append({"kind": "offline", "severity": "warning", "title": f"{charger.charge_point_id} is offline",
                          "detail": f"{charger.station.name}", "since": charger.last_seen, "where": charger,
                          "endpoint": ("admin.charger_detail", {"charger_id": charger.id})})
        for connector in charger.connectors:
            if connector.status == "Faulted":
                found.append({"kind": "fault", "severity": "critical", "title": f"{connector.label} faulted",
                              "detail": connector.error_code or "", "since": connector.status_at, "where": charger,
                              "endpoint": ("admin.charger_detail", {"charger_id": charger.id})})
    overstays = (select(Booking).join(Connector, Booking.connector_id == Connector.id)
                 .join(Charger, Connector.charger_id == Charger.id).where(Booking.status == "OVERSTAY"))
    for booking in db.session.execute(scoped(overstays, user, Charger.station_id)).scalars():
        found.append({"kind": "overstay", "severity": "warning", "title": f"Overstay on {booking.connector.label}",
                      "detail": f"booking #{booking.id} · {booking.user.email}", "since": booking.exit_by, "where": booking,
                      "endpoint": ("admin.booking_detail", {"booking_id": booking.id})})
    failed = (select(Payment).join(Booking, Payment.booking_id == Booking.id)
              .join(Connector, Booking.connector_id == Connector.id).join(Charger, Connector.charger_id == Charger.id)
              .where(Payment.kind == "capture", Payment.status == "failed").order_by(Payment.id.desc()).limit(50))
    for payment in db.session.execute(scoped(failed, user, Charger.station_id)).scalars():
        if payments.outstanding_debt(payment.user_id) > 0:
            found.append({"kind": "failed_capture", "severity": "critical",
                          "title": f"Capture failed for booking #{payment.booking_id}",
                          "detail": f"{payment.user.email}: {payment.failure_reason or 'declined'}",
                          "since": payment.created_at, "where": payment, "amount": payment.amount, "currency": payment.currency,
                          "endpoint": ("admin.booking_detail", {"booking_id": payment.booking_id})})
    order = {"critical": 0, "warning": 1}
    return sorted(found, key=lambda a: order[a["severity"]])


def dashboard(user: User, now: datetime | None = None, zone: tzinfo = UTC) -> dict:
    """Everything the live dashboard shows, scoped to the user's stations; "today" is the day on `zone`'s clock."""
    now = now or utcnow()
    chargers = [c for c in visible_chargers(user) if not c.retired]
    statuses = Counter(k.status for c in chargers for k in c.connectors)
    since = day_start(now, zone)
    return {
        "now": now, "since": since,
        "online": sum(1 for c in chargers if c.online), "offline": sum(1 for c in chargers if not c.online),
        "connectors": [(s, statuses.get(s, 0)) for s in CONNECTOR_STATUSES],
        "connector_total": sum(statuses.values()),
        "sessions": active_sessions(user),
        "energy_wh": energy_since(user, since),
        "revenue": revenue_since(user, since),
        "alerts": alerts(user, chargers),
        "currency": _currency(user),
    }


def _currency(user: User) -> str:
    stations = visible_stations(user, include_retired=False)
    currencies = {s.tariff.currency for s in stations if s.tariff is not None}
    return currencies.pop() if len(currencies) == 1 else "INR"


def charger_timeline(charger: Charger, limit: int = 100, kind: str = "") -> list:
    """The charger's latest events (boot, online/offline, status, faults ...), newest first."""
    query = select(ChargerEvent).where(ChargerEvent.charger_id == charger.id)
    if kind:
        query = query.where(ChargerEvent.kind == kind)
    return list(db.session.execute(query.order_by(ChargerEvent.id.desc()).limit(limit)).scalars())


#: Frames a charger sends on a timer (Heartbeat; DataTransfer, e.g. its solar production every minute) and
#: their answers: hidden from the console's OCPP log unless asked for, or named as the action.
PERIODIC_ACTIONS = ("Heartbeat", "DataTransfer")


def recent_messages(charger: Charger, limit: int = 50, action: str = "", periodic: bool = True) -> list:
    """The latest logged OCPP frames of a charger (the log itself is bounded by OCPP_LOG_KEEP); without
    `periodic`, no Heartbeat or DataTransfer frame unless `action` names it."""
    query = select(OcppMessage).where(OcppMessage.charger_id == charger.id)
    if action:
        query = query.where(OcppMessage.action == action)
    elif not periodic:  # NULL actions (frames that never parsed) stay visible
        query = query.where(OcppMessage.action.is_(None) | OcppMessage.action.not_in(PERIODIC_ACTIONS))
    return list(db.session.execute(query.order_by(OcppMessage.id.desc()).limit(limit)).scalars())


def charger_sessions(charger: Charger, active_only: bool = False, limit: int = 20) -> list[ChargingSession]:
    """Recent sessions on a charger's connectors."""
    query = (select(ChargingSession).join(Connector, ChargingSession.connector_id == Connector.id)
             .where(Connector.charger_id == charger.id))
    if active_only:
        query = query.where(ChargingSession.stopped_at.is_(None), ChargingSession.auth_status == "Accepted")
    return list(db.session.execute(query.order_by(ChargingSession.id.desc()).limit(limit)).scalars())
