"""A station's day for the console: its connectors against the hours of one station-local date, with the slots
booked (paid or still unpaid), the immediate holds and the maintenance windows in each hour. The hours are
the station's wall-clock hours, so a DST change day has 23 or 25 of them."""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select

from ...extensions import db
from ...models import LIVE_STATUSES, SLOT_STATUSES, Booking, Charger, Connector, MaintenanceWindow, Station
from ...timeutil import as_utc, utcnow
from . import slot_times


@dataclass
class Item:
    kind: str  # slot (paid) | unpaid (a slot not paid yet) | hold (an immediate booking) | maintenance
    start: datetime
    end: datetime
    booking: Booking | None = None
    window: MaintenanceWindow | None = None


@dataclass
class Row:
    connector: Connector
    items: list[Item] = field(default_factory=list)
    cells: list[list[Item]] = field(default_factory=list)  # per hour, the items touching it


@dataclass
class Day:
    station: Station
    day: date
    hours: list[datetime]  # UTC starts of the local hours
    rows: list[Row]

    @property
    def zone(self) -> str:
        return self.station.timezone


def _bookings(connector_ids: list[int], start: datetime, end: datetime) -> list[Item]:
    items = []
    for b in db.session.execute(select(Booking).where(
            Booking.connector_id.in_(connector_ids), Booking.status.in_(SLOT_STATUSES),
            or_(Booking.slot_start.is_(None), (Booking.slot_start < end) & (Booking.slot_end > start)))).scalars():
        if b.slot_start is not None:
            items.append(Item("slot" if b.status != "SLOT_HELD" else "unpaid", as_utc(b.slot_start),
                              as_utc(b.slot_end), booking=b))
        elif b.status in LIVE_STATUSES:  # an immediate hold: from when it was placed until it must start
            until = max(as_utc(b.arrive_by or b.hold_expires_at), utcnow())
            if as_utc(b.created_at) < end and until > start:
                items.append(Item("hold", as_utc(b.created_at), until, booking=b))
    return items


def _windows(station: Station, start: datetime, end: datetime) -> list[MaintenanceWindow]:
    charger_ids = [c.id for c in station.chargers]
    return list(db.session.execute(select(MaintenanceWindow).where(
        MaintenanceWindow.state.in_(("scheduled", "active")), MaintenanceWindow.starts_at < end,
        MaintenanceWindow.ends_at > start,
        or_(MaintenanceWindow.station_id == station.id, MaintenanceWindow.charger_id.in_(charger_ids)))).scalars())


def day(station: Station, on: date) -> Day:
    """The station's connectors (retired chargers left out) x the local hours of `on`."""
    start, end = slot_times.day_span(station, on)
    hour_starts, t = [], start
    while t < end:
        hour_starts.append(t)
        t += timedelta(hours=1)
    connectors = list(db.session.execute(
        select(Connector).join(Charger).where(Charger.station_id == station.id, ~Charger.retired)
        .order_by(Charger.charge_point_id, Connector.connector_id)).scalars())
    rows = {c.id: Row(c) for c in connectors}
    for item in _bookings(list(rows), start, end):
        rows[item.booking.connector_id].items.append(item)
    for w in _windows(station, start, end):
        for row in rows.values():
            if w.station_id is not None or w.charger_id == row.connector.charger_id:
                row.items.append(Item("maintenance", as_utc(w.starts_at), as_utc(w.ends_at), window=w))
    for row in rows.values():
        row.items.sort(key=lambda i: i.start)
        row.cells = [[i for i in row.items if i.start < h + timedelta(hours=1) and i.end > h] for h in hour_starts]
    return Day(station, on, hour_starts, list(rows.values()))


def today(station: Station) -> date:
    """The station-local date now."""
    return utcnow().astimezone(ZoneInfo(station.timezone)).date()
