"""A driver's charging history: filters, pages, totals, monthly usage and its chart."""
import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from ...extensions import db
from ...models import Booking, Charger, ChargingSession, Connector, Payment, User
from ...timeutil import utcnow
from ..fleet import availability
from ..errors import InvalidInput

FILTERS = {"recent": "Last 7 days", "this-month": "This month", "all-time": "All time"}
PER_PAGE = 10
RECENT_DAYS = 7


def since(filter_name: str, now: datetime | None = None) -> datetime | None:
    """Start of a filter's period (UTC); None for all time. InvalidInput for an unknown filter."""
    now = now or utcnow()
    if filter_name == "recent":
        return now - timedelta(days=RECENT_DAYS)
    if filter_name == "this-month":
        return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if filter_name == "all-time":
        return None
    raise InvalidInput(f"Unknown filter {filter_name!r}; use recent, this-month or all-time.")


def _sessions_query(user: User, start: datetime | None):
    query = select(ChargingSession).where(ChargingSession.user_id == user.id,
                                          ChargingSession.auth_status == "Accepted",
                                          ChargingSession.stopped_at.is_not(None))
    if start is not None:
        query = query.where(ChargingSession.started_at >= start)
    return query


@dataclass
class Page:
    items: list[ChargingSession]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def page(user: User, filter_name: str, number: int = 1, per_page: int = PER_PAGE) -> Page:
    """One page of finished sessions, newest first."""
    query = _sessions_query(user, since(filter_name))
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    number = max(1, min(number, max(1, math.ceil(total / per_page))))
    items = db.session.execute(
        query.options(selectinload(ChargingSession.booking), selectinload(ChargingSession.connector)
                      .selectinload(Connector.charger).selectinload(Charger.station))
        .order_by(ChargingSession.started_at.desc(), ChargingSession.id.desc())
        .limit(per_page).offset((number - 1) * per_page)).scalars().all()
    return Page(list(items), number, per_page, total)


def spending(user_id: int, start: datetime | None = None) -> list[tuple[datetime, int]]:
    """(when, amount) of money really taken: each ended booking's capture less refunds of it (at its end),
    and settled debts (when paid). Minor units."""
    query = select(Booking).where(Booking.user_id == user_id, Booking.ended_at.is_not(None),
                                  Booking.amount_captured > 0).options(selectinload(Booking.payments))
    if start is not None:
        query = query.where(Booking.ended_at >= start)
    items = []
    for booking in db.session.execute(query).scalars():
        refunded = sum(p.amount for p in booking.payments if p.kind == "refund" and p.status == "succeeded"
                       and p.reason != "unused authorisation")
        items.append((booking.ended_at, booking.amount_captured - refunded))
    settled = select(Payment.created_at, Payment.amount).where(Payment.user_id == user_id, Payment.kind == "settle",
                                                               Payment.status == "succeeded")
    if start is not None:
        settled = settled.where(Payment.created_at >= start)
    items.extend(tuple(row) for row in db.session.execute(settled).all())
    return items


def spent(user_id: int, start: datetime | None = None) -> int:
    """Money really taken since `start` (minor units)."""
    return sum(amount for _, amount in spending(user_id, start))


@dataclass
class Totals:
    sessions: int
    energy_kwh: float
    spent: int
    average_minutes: float
    favourite_station: str | None


def totals(user: User, filter_name: str) -> Totals:
    """Sessions, energy, money spent, average duration and favourite station over a period."""
    start = since(filter_name)
    sessions = db.session.execute(_sessions_query(user, start).options(
        selectinload(ChargingSession.connector).selectinload(Connector.charger)
        .selectinload(Charger.station))).scalars().all()
    energy = sum(s.energy_wh for s in sessions) / 1000
    minutes = [(s.stopped_at - s.started_at).total_seconds() / 60 for s in sessions]
    stations = Counter(s.connector.charger.station.name for s in sessions if s.connector.charger.station)
    favourite = stations.most_common(1)[0][0] if stations else None
    return Totals(len(sessions), round(energy, 2), spent(user.id, start),
                  round(sum(minutes) / len(minutes), 1) if minutes else 0.0, favourite)


@dataclass
class Month:
    key: str  # "2025-01"
    label: str  # "Jan"
    sessions: int = 0
    energy_kwh: float = 0.0
    spent: int = 0


def monthly(user: User, months: int = 12, now: datetime | None = None) -> list[Month]:
    """The last `months` calendar months (UTC), oldest first, with sessions, energy and captures."""
    now = now or utcnow()
    keys, year, month = [], now.year, now.month
    for _ in range(months):
        keys.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    keys.reverse()
    start = datetime(keys[0][0], keys[0][1], 1, tzinfo=now.tzinfo)
    result = {f"{y:04d}-{m:02d}": Month(f"{y:04d}-{m:02d}", datetime(y, m, 1).strftime("%b")) for y, m in keys}
    for s in db.session.execute(_sessions_query(user, start)).scalars():
        bucket = result.get(f"{s.started_at:%Y-%m}")
        if bucket is not None:
            bucket.sessions += 1
            bucket.energy_kwh = round(bucket.energy_kwh + s.energy_wh / 1000, 3)
    for when, amount in spending(user.id, start):
        bucket = result.get(f"{when:%Y-%m}")
        if bucket is not None:
            bucket.spent += amount
    return list(result.values())


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    month: Month


@dataclass
class Chart:
    width: int
    height: int
    baseline: float
    bars: list[Bar]
    max_kwh: float


def chart(months: list[Month], width: int = 360, height: int = 160) -> Chart:
    """Bar geometry for the monthly energy chart (the template draws it as inline SVG)."""
    top, bottom = 16, 22
    max_kwh = max((m.energy_kwh for m in months), default=0.0)
    scale = (height - top - bottom) / max_kwh if max_kwh > 0 else 0.0
    slot = width / max(1, len(months))
    bars = []
    for i, month in enumerate(months):
        h = month.energy_kwh * scale
        bars.append(Bar(round(i * slot + slot * 0.15, 1), round(height - bottom - h, 1), round(slot * 0.7, 1),
                        round(h, 1), month))
    return Chart(width, height, height - bottom, bars, max_kwh)


def live_booking(user: User) -> Booking | None:
    """The driver's live booking, if any, read only (holds and arrival graces past their time are left out),
    with its connector and charger (for the connector's label)."""
    return db.session.execute(select(Booking).where(Booking.user_id == user.id, availability.booked_now()).options(
        joinedload(Booking.connector).joinedload(Connector.charger))).scalars().first()


def my_booking(user: User) -> Booking | None:
    """What the nav's "My booking" opens: the live booking, else the next slot booked ahead (scheduled, or held
    for payment and not yet run out), read only."""
    live = live_booking(user)
    if live is not None:
        return live
    now = utcnow()
    return db.session.execute(select(Booking).where(
        Booking.user_id == user.id, Booking.slot_start.is_not(None), Booking.slot_end > now,
        or_(Booking.status == "SCHEDULED", and_(Booking.status == "SLOT_HELD", Booking.hold_expires_at >= now)))
        .order_by(Booking.slot_start)).scalars().first()
