"""Demo history: a few weeks of completed, billed bookings across the demo stations, so the console's
analytics and a driver's history have something to show. Only `flask seed-demo` creates it (never the
tests' factories); it is drawn from a seeded random generator, and a second run adds nothing.

The rows are what a finished booking leaves behind (booking, session, authorise / capture / refund
payments, sometimes a rating or an operator's goodwill refund), written directly: nothing here is charged
through the gateway, and the references say so (`demo_...`).
"""
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ...extensions import db
from ...models import Booking, ChargingSession, Connector, Payment, Station, User
from ...timeutil import UTC, utcnow
from ..money import pricing

SEED = 20240601
DAYS = 21
MARKER = "demo-history-0-authorise"  # the first payment's key: present means the history is there


@dataclass(frozen=True)
class Visit:
    """One planned past session: who, where, when (UTC), how much."""

    user_id: int
    connector_id: int
    started_at: datetime
    quota_kwh: int
    energy_wh: int
    power_kw: float
    stopped_early: bool
    rating: int | None
    goodwill: bool


def plan(drivers: list[User], stations: list[Station], now: datetime, seed: int = SEED) -> list[Visit]:
    """The sessions of the last DAYS days, oldest first; the same inputs always give the same plan."""
    rng = random.Random(seed)
    connectors = [(station, connector) for station in stations for charger in station.chargers
                  for connector in sorted(charger.connectors, key=lambda c: c.connector_id)]
    connectors.sort(key=lambda pair: pair[1].id)
    visits = []
    for days_ago in range(DAYS, 0, -1):
        day = (now - timedelta(days=days_ago)).date()
        for n in range(rng.randint(2, 5)):
            # The demo driver comes back every few days; the others share the rest.
            driver = drivers[0] if (n == 0 and days_ago % 3 == 0) else rng.choice(drivers[1:] or drivers)
            station, connector = rng.choice(connectors)
            started = _local_start(station, day, rng)
            quota = rng.choice((10, 15, 20, 30))
            early = rng.random() < 0.3
            energy = int(quota * 1000 * (rng.uniform(0.5, 0.95) if early else rng.uniform(1.0, 1.02)))
            power = round((connector.max_power_kw or 22.0) * rng.uniform(0.6, 0.95), 1)
            visits.append(Visit(driver.id, connector.id, started, quota, energy, power, early,
                                rng.choice((None, None, 3, 4, 5, 5)), rng.random() < 0.08))
    return visits


def _local_start(station: Station, day, rng: random.Random) -> datetime:
    """A start time on `day` within the station's opening hours, in its timezone, returned in UTC."""
    zone = ZoneInfo(station.timezone)
    ranges = [] if station.always_open else (station.opening_hours or {}).get(day.strftime("%a").lower(), [])
    if ranges:
        opens, closes = ranges[0]
        first, last = int(opens[:2]), int(closes[:2])
        span = (last - first) % 24 or 24
        hour = (first + rng.randrange(max(1, span - 2))) % 24
    else:
        hour = rng.randrange(6, 23)
    local = datetime(day.year, day.month, day.day, hour, rng.randrange(60), tzinfo=zone)
    return local.astimezone(UTC)


def seed(drivers: list[User], stations: list[Station], now: datetime | None = None) -> int:
    """Write the demo history unless it is already there; returns how many bookings were added."""
    if db.session.execute(select(Payment.id).where(Payment.idempotency_key == MARKER)).first():
        return 0
    now = now or utcnow()
    meters: dict[int, int] = {}
    visits = plan(drivers, stations, now)
    for n, visit in enumerate(visits):
        connector = db.session.get(Connector, visit.connector_id)
        _write(n, visit, connector, next(s for s in stations if s.id == connector.charger.station_id),
               db.session.get(User, visit.user_id), meters)
    db.session.commit()
    return len(visits)


def _write(n: int, visit: Visit, connector: Connector, station: Station, user: User, meters: dict) -> None:
    tariff = station.tariff
    created = visit.started_at - timedelta(minutes=6)
    stopped = visit.started_at + timedelta(hours=visit.energy_wh / 1000 / visit.power_kw)
    ended = stopped + timedelta(minutes=3 + n % 5)
    cost = pricing.session_cost(tariff, visit.energy_wh, visit.started_at, stopped).total
    # Past sessions end within their authorisation (the quota's headroom covers the overrun).
    authorised = max(cost, pricing.authorisation(tariff, visit.quota_kwh, connector.max_power_kw or 22.0))
    captured = cost
    booking = Booking(user_id=user.id, connector_id=connector.id, status="COMPLETED", quota_kwh=visit.quota_kwh,
                      created_at=created, hold_expires_at=created + timedelta(minutes=10),
                      confirmed_at=created + timedelta(minutes=1), arrive_by=created + timedelta(minutes=16),
                      started_at=visit.started_at, stopped_at=stopped, exit_by=stopped + timedelta(minutes=10),
                      ended_at=ended, currency=tariff.currency, amount_authorised=authorised,
                      amount_captured=captured, amount_refunded=authorised - captured, rating=visit.rating,
                      end_reason="stopped by driver" if visit.stopped_early else "quota reached")
    db.session.add(booking)
    db.session.flush()
    start_wh = meters.get(connector.id, 1_000_000 + 37_000 * connector.id)
    meters[connector.id] = start_wh + visit.energy_wh
    db.session.add(ChargingSession(
        connector_id=connector.id, user_id=user.id, booking_id=booking.id, id_tag=user.id_tag,
        meter_start=start_wh, meter_stop=start_wh + visit.energy_wh, meter_last=start_wh + visit.energy_wh,
        started_at=visit.started_at, stopped_at=stopped, stop_reason="Remote", energy_wh=visit.energy_wh,
        cost=cost, currency=tariff.currency, rating=visit.rating, soc_start=20 + n % 40,
        soc_last=min(100, 20 + n % 40 + visit.energy_wh / 600), received_at=visit.started_at))
    pay = [("authorise", authorised, created + timedelta(minutes=1), None),
           ("capture", captured, ended, None),
           ("refund", authorised - captured, ended, "unused authorisation")]
    if visit.goodwill:
        pay.append(("refund", min(captured, 5000), ended + timedelta(hours=20), "Goodwill: slow charging reported"))
        booking.amount_refunded += min(captured, 5000)
    for kind, amount, at, reason in pay:
        if amount <= 0:
            continue
        key = f"demo-history-{n}-{kind}" + ("-goodwill" if reason and reason.startswith("Goodwill") else "")
        db.session.add(Payment(booking_id=booking.id, user_id=user.id, kind=kind, amount=amount,
                               currency=tariff.currency, method="card", status="succeeded",
                               provider_ref=f"demo_{kind[:4]}_{n:04d}", idempotency_key=key, reason=reason,
                               created_at=at))
