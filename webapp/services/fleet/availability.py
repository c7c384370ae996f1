"""What a driver can book right now: each connector's state and each station's summary.

Views are plain frozen values read with a few set-based queries (never ORM graphs), so they can be shared
by every request for `FRAGMENT_CACHE_SECONDS` (services/platform/snapshots.py): a station list costs three queries
per refresh, whatever the number of stations and connectors.
"""
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, exists, false, or_, select

from ...extensions import db
from ...models import Booking, Charger, Connector, MaintenanceWindow, Station, Tariff
from ...timeutil import utcnow
from ..booking import grace, ratings
from . import hours
from ..platform import snapshots

#: Connector states shown to drivers, with the words on the badge.
STATE_LABELS = {
    "available": "Available", "booked": "Booked", "in_use": "In use", "reserved": "Reserved",
    "closed": "Station closed", "offline": "Offline", "faulted": "Fault", "maintenance": "Maintenance",
    "unavailable": "Unavailable", "out_of_service": "Out of service",
}


@dataclass(frozen=True)
class TariffInfo:
    currency: str
    price_per_kwh: int
    price_per_minute: int
    session_fee: int
    idle_fee_per_minute: int


@dataclass(frozen=True)
class StationInfo:
    """A station's own fields, as the driver pages, `hours` and the API read them."""
    id: int
    name: str
    address: str
    latitude: float
    longitude: float
    timezone: str
    status: str
    opening_hours: dict
    always_open: bool
    tariff: TariffInfo | None


@dataclass(frozen=True)
class ConnectorInfo:
    id: int
    charge_point_id: str
    connector_id: int
    plug_type: str
    max_power_kw: float
    status: str  # the OCPP status the charger last reported


@dataclass(frozen=True)
class MaintenanceInfo:
    """Why a station or charger is in maintenance and until when (UTC; None when staff set it by hand)."""
    reason: str
    until: datetime | None


@dataclass(frozen=True)
class ConnectorView:
    connector: ConnectorInfo
    state: str
    booked_by: int | None = None  # the driver whose live booking holds it (display only: "Yours")
    maintenance: MaintenanceInfo | None = None

    @property
    def label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def bookable(self) -> bool:
        return self.state == "available"


@dataclass(frozen=True)
class StationView:
    station: StationInfo
    is_open: bool
    connectors: tuple[ConnectorView, ...] = field(default_factory=tuple)
    distance_km: float | None = None
    rating: tuple[float, int] | None = None  # (average stars, number of ratings)
    opens_at: datetime | None = None  # closed by its hours: when it next opens (UTC)
    maintenance: MaintenanceInfo | None = None  # the station's own maintenance
    read_at: datetime | None = None  # when these figures were read (a snapshot may be a few seconds old)

    @property
    def available(self) -> int:
        return sum(1 for c in self.connectors if c.bookable)

    @property
    def plugs(self) -> list[str]:
        return sorted({c.connector.plug_type for c in self.connectors})

    @property
    def max_kw(self) -> float:
        return max((c.connector.max_power_kw for c in self.connectors), default=0.0)


def booked_now():
    """SQL condition: a booking that holds its connector now (a hold or an arrival grace not yet run out)."""
    now = utcnow()
    return or_(and_(Booking.status == "HELD", Booking.hold_expires_at >= now),
               grace.in_grace_sql(now),
               Booking.status.in_(("CHARGING", "FINISHING", "OVERSTAY")))


def connector_state(station_status: str, charger_online: bool, charger_in_maintenance: bool, ocpp_status: str,
                    station_open: bool, booked: bool) -> str:
    """One connector's state as a driver sees it (see STATE_LABELS); retired chargers are never listed."""
    if station_status == "retired":
        return "out_of_service"
    if station_status == "maintenance" or charger_in_maintenance:
        return "maintenance"
    if not charger_online:
        return "offline"
    if ocpp_status == "Faulted":
        return "faulted"
    if booked:
        return "booked"
    if ocpp_status == "Available":
        return "available" if station_open else "closed"
    if ocpp_status == "Reserved":
        return "reserved"
    if ocpp_status == "Unavailable":
        return "unavailable"
    return "in_use"


def _compute(station_id: int | None) -> list[StationView]:
    """Listed stations (all, or the one), by name, with tariff, open badge, rating and connector states."""
    where = [Station.status != "retired"] + ([Station.id == station_id] if station_id is not None else [])
    stations = db.session.execute(
        select(Station.id, Station.name, Station.address, Station.latitude, Station.longitude, Station.timezone,
               Station.status, Station.opening_hours, Station.always_open, Tariff.currency, Tariff.price_per_kwh,
               Tariff.price_per_minute, Tariff.session_fee, Tariff.idle_fee_per_minute)
        .outerjoin(Tariff, Station.tariff_id == Tariff.id).where(*where).order_by(Station.name, Station.id)).all()
    if not stations:
        return []
    booked = exists().where(Booking.connector_id == Connector.id, booked_now()).label("booked")
    booked_by = (select(Booking.user_id).where(Booking.connector_id == Connector.id, booked_now())
                 .limit(1).scalar_subquery().label("booked_by"))
    rows = db.session.execute(
        select(Charger.station_id, Charger.id.label("charger_pk"), Charger.online, Charger.in_maintenance,
               Charger.charge_point_id, Connector.id, Connector.connector_id, Connector.plug_type,
               Connector.max_power_kw, Connector.status, booked, booked_by)
        .join(Connector, Connector.charger_id == Charger.id).join(Station, Charger.station_id == Station.id)
        .where(Charger.retired == false(), *where)
        .order_by(Charger.charge_point_id, Connector.connector_id)).all()
    scores, read_at = ratings.station_ratings([s.id for s in stations]), utcnow()
    works = _maintenance([s.id for s in stations if s.status == "maintenance"],
                         {r.charger_pk for r in rows if r.in_maintenance})
    infos, open_now = {}, {}
    for s in stations:
        tariff = (TariffInfo(s.currency, s.price_per_kwh, s.price_per_minute, s.session_fee, s.idle_fee_per_minute)
                  if s.currency is not None else None)
        infos[s.id] = StationInfo(s.id, s.name, s.address, s.latitude, s.longitude, s.timezone, s.status,
                                  s.opening_hours or {}, s.always_open, tariff)
        open_now[s.id] = hours.is_open(infos[s.id])
    connectors: dict[int, list[ConnectorView]] = {s.id: [] for s in stations}
    for r in rows:
        state = connector_state(infos[r.station_id].status, r.online, r.in_maintenance, r.status,
                                open_now[r.station_id], r.booked)
        work = (works.get(("station", r.station_id)) or works.get(("charger", r.charger_pk))
                if state == "maintenance" else None)
        connectors[r.station_id].append(ConnectorView(
            ConnectorInfo(r.id, r.charge_point_id, r.connector_id, r.plug_type, r.max_power_kw, r.status), state,
            booked_by=r.booked_by if state == "booked" else None, maintenance=work))
    return [StationView(infos[s.id], open_now[s.id], tuple(connectors[s.id]), rating=scores.get(s.id),
                        opens_at=hours.next_opening(infos[s.id]) if not open_now[s.id] else None,
                        maintenance=works.get(("station", s.id), MaintenanceInfo("", None))
                        if s.status == "maintenance" else None, read_at=read_at)
            for s in stations]


def _maintenance(station_ids: list[int], charger_ids: set[int]) -> dict[tuple[str, int], MaintenanceInfo]:
    """The running maintenance windows of these stations and chargers: {("station"|"charger", id): info}."""
    if not station_ids and not charger_ids:
        return {}
    rows = db.session.execute(
        select(MaintenanceWindow.station_id, MaintenanceWindow.charger_id, MaintenanceWindow.reason,
               MaintenanceWindow.ends_at)
        .where(MaintenanceWindow.state == "active",
               or_(MaintenanceWindow.station_id.in_(station_ids), MaintenanceWindow.charger_id.in_(charger_ids)))
        .order_by(MaintenanceWindow.ends_at.desc())).all()
    found: dict[tuple[str, int], MaintenanceInfo] = {}
    for r in rows:  # the latest end first: the one that keeps it shut longest wins
        key = ("charger", r.charger_id) if r.charger_id is not None else ("station", r.station_id)
        found.setdefault(key, MaintenanceInfo(r.reason or "", r.ends_at))
    return found


def listed_views() -> tuple[StationView, ...]:
    """Every station a driver may see (not retired), by name; shared for `FRAGMENT_CACHE_SECONDS`."""
    return _listed()[0]


def station_view(station_id: int, fresh: bool = False) -> StationView | None:
    """One station's view (None when unknown or retired); `fresh` reads the database now (for a decision,
    such as which connector to book, not for display).

    While the station list is being polled its snapshot serves every station too (one refresh per TTL for
    all of them); otherwise each station has its own.
    """
    if fresh:
        return next(iter(_compute(station_id)), None)
    cache = snapshots.cache()
    if cache.recent(LISTED):
        return _listed()[1].get(station_id)
    return cache.get(("station", station_id), lambda: next(iter(_compute(station_id)), None))


LISTED = ("stations",)


def _listed() -> tuple[tuple[StationView, ...], dict[int, StationView]]:
    def compute():
        views = tuple(_compute(None))
        return views, {v.station.id: v for v in views}

    return snapshots.cache().get(LISTED, compute)
