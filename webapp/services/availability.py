"""What a driver can book right now: each connector's state and each station's summary."""
from dataclasses import dataclass, field

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Booking, Charger, Connector, Station
from ..timeutil import utcnow
from . import hours

#: Connector states shown to drivers, with the words on the badge.
STATE_LABELS = {
    "available": "Available", "booked": "Booked", "in_use": "In use", "reserved": "Reserved",
    "closed": "Station closed", "offline": "Offline", "faulted": "Fault", "maintenance": "Maintenance",
    "unavailable": "Unavailable", "out_of_service": "Out of service",
}


@dataclass
class ConnectorView:
    connector: Connector
    state: str

    @property
    def label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def bookable(self) -> bool:
        return self.state == "available"


@dataclass
class StationView:
    station: Station
    is_open: bool
    connectors: list[ConnectorView] = field(default_factory=list)
    distance_km: float | None = None
    rating: tuple[float, int] | None = None  # (average stars, number of ratings)

    @property
    def available(self) -> int:
        return sum(1 for c in self.connectors if c.bookable)

    @property
    def plugs(self) -> list[str]:
        return sorted({c.connector.plug_type for c in self.connectors})

    @property
    def max_kw(self) -> float:
        return max((c.connector.max_power_kw for c in self.connectors), default=0.0)


def booked_connector_ids(connector_ids: list[int]) -> set[int]:
    """Connectors with a live booking (a hold or an arrival grace that has not run out counts)."""
    if not connector_ids:
        return set()
    now = utcnow()
    live = or_(and_(Booking.status == "HELD", Booking.hold_expires_at >= now),
               and_(Booking.status == "CONFIRMED", Booking.arrive_by >= now),
               Booking.status.in_(("CHARGING", "FINISHING", "OVERSTAY")))
    return set(db.session.execute(select(Booking.connector_id).where(
        Booking.connector_id.in_(connector_ids), live)).scalars())


def connector_state(connector: Connector, station_open: bool, booked: bool) -> str:
    """One connector's state as a driver sees it (see STATE_LABELS)."""
    charger, station = connector.charger, connector.charger.station
    if station is None or station.status == "retired" or charger.retired:
        return "out_of_service"
    if station.status == "maintenance" or charger.in_maintenance:
        return "maintenance"
    if not charger.online:
        return "offline"
    if connector.status == "Faulted":
        return "faulted"
    if booked:
        return "booked"
    if connector.status == "Available":
        return "available" if station_open else "closed"
    if connector.status == "Reserved":
        return "reserved"
    if connector.status == "Unavailable":
        return "unavailable"
    return "in_use"


def station_views(stations: list[Station]) -> list[StationView]:
    """Stations with their open badge and every connector's state, in two queries."""
    connectors = [k for s in stations for c in s.chargers if not c.retired for k in c.connectors]
    booked = booked_connector_ids([k.id for k in connectors])
    views = []
    for station in stations:
        is_open = hours.is_open(station)
        view = StationView(station, is_open)
        for charger in station.chargers:
            if charger.retired:
                continue
            for k in charger.connectors:
                view.connectors.append(ConnectorView(k, connector_state(k, is_open, k.id in booked)))
        views.append(view)
    return views


def listed_stations() -> list[Station]:
    """Every station a driver may see (not retired), with chargers and connectors loaded."""
    return list(db.session.execute(
        select(Station).where(Station.status != "retired").order_by(Station.name)
        .options(selectinload(Station.chargers).selectinload(Charger.connectors))).scalars())


def station_view(station: Station) -> StationView:
    """One station's view (the station page)."""
    return station_views([station])[0]
