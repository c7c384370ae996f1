"""Numbers the driver sees: the live session (energy, power, cost so far, quota, ETA) and the receipt.

Durations and average powers are in the charger's own time: the span between the timestamps it put on
StartTransaction and StopTransaction (while running, its latest MeterValues), because the energy it reports
was measured against that clock. A time-scaled simulator runs its clock as fast as its energy. A charger
whose clock is plainly wrong (a span of zero or less, or an average above what the connector can deliver)
is shown as such, never corrected.
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ...extensions import db
from ...models import Booking, Charger, ChargingSession, Connector, MeterSample, Payment
from ...timeutil import utcnow
from ..money import ledger, pricing


#: Loader options for a booking about to be shown live: its session (with the time of its latest reading, an
#: index-only read of ix_meter_samples_session_time), connector, charger, station and tariff come in the
#: booking's own query (the tariff is joined to the station by the model): one statement per poll.
LATEST_READING = (select(func.max(MeterSample.timestamp)).where(MeterSample.session_id == ChargingSession.id)
                  .correlate(ChargingSession).scalar_subquery())
LIVE_LOAD = (joinedload(Booking.session).with_expression(ChargingSession.latest_reading_at, LATEST_READING),
             joinedload(Booking.connector).joinedload(Connector.charger).joinedload(Charger.station))


@dataclass
class Live:
    started: bool
    energy_wh: int = 0
    power_kw: float = 0.0
    soc: float | None = None
    elapsed: timedelta = timedelta(0)
    cost: pricing.Breakdown | None = None
    quota_pct: float | None = None
    eta: datetime | None = None
    idle_fee: int = 0
    average_kw: float | None = None
    clock_suspect: bool = False


def live(booking: Booking, now: datetime | None = None) -> Live:
    """The live numbers of a booking's session (zeros until StartTransaction arrives)."""
    now = now or utcnow()
    session, tariff = booking.session, booking.connector.charger.station.tariff
    if session is None:
        return Live(started=False)
    running = session.stopped_at is None
    end = _charger_end(session, now)
    power = (session.power_w or 0) / 1000 if running else 0.0
    average, suspect = average_power(session.energy_wh, end - session.started_at, booking.connector.max_power_kw)
    result = Live(started=True, energy_wh=session.energy_wh, power_kw=power, soc=session.soc_last,
                  elapsed=end - session.started_at, average_kw=average, clock_suspect=suspect)
    if tariff is not None:
        result.cost = pricing.session_cost(tariff, session.energy_wh, session.started_at, end, booking.charging_mode,
                                           booking.mode_segments)
        if booking.status == "OVERSTAY" and booking.exit_by is not None:
            result.idle_fee = pricing.idle_fee(tariff, booking.exit_by, now)
    if booking.quota_kwh:
        quota_wh = booking.quota_kwh * 1000
        result.quota_pct = min(100.0, 100.0 * session.energy_wh / quota_wh)
        if running and power > 0 and session.energy_wh < quota_wh:
            result.eta = now + timedelta(hours=(quota_wh - session.energy_wh) / 1000 / power)
    return result


def _charger_end(session, now: datetime) -> datetime:
    """Where the session stands on the charger's clock: its StopTransaction time once stopped; while running,
    its latest reading, or the server's now when that is later (a real charger reads once a minute or so)."""
    if session.stopped_at is not None:
        return session.stopped_at
    if "latest_reading_at" in session.__dict__:  # read with the booking (LIVE_LOAD)
        latest = session.latest_reading_at
    else:
        latest = db.session.execute(select(func.max(MeterSample.timestamp))
                                    .where(MeterSample.session_id == session.id)).scalar()
    return max(now, latest) if latest is not None else now


def average_power(energy_wh: int, span: timedelta, max_kw: float | None) -> tuple[float | None, bool]:
    """(average kW over `span`, whether the charger's clock looks wrong); None when the span is not positive."""
    hours_ = span.total_seconds() / 3600
    if hours_ <= 0:
        return None, energy_wh > 0
    average = energy_wh / 1000 / hours_
    # A little tolerance: meters round, and the span is between two readings, not the current's own edges.
    return average, max_kw is not None and average > max_kw * 1.1 + 0.1


@dataclass
class Receipt:
    booking: Booking
    energy_wh: int
    duration: timedelta
    average_kw: float
    breakdown: pricing.Breakdown
    payments: list[Payment] = field(default_factory=list)
    #: The booking's shortfall: what capture could not take and went to the driver's balance, and how much of
    #: it has been paid or waived since. captured + outstanding == total.
    owed: ledger.Owed | None = None
    clock_suspect: bool = False

    @property
    def total(self) -> int:
        return self.breakdown.total

    @property
    def outstanding(self) -> int:
        return self.owed.owed if self.owed else 0

    @property
    def outstanding_due(self) -> int:
        return self.owed.due if self.owed else 0

    @property
    def capped(self) -> bool:
        """The bill was larger than what could be charged to the card: the rest is on the driver's balance."""
        return self.outstanding > 0


def receipt(booking: Booking) -> Receipt:
    """The receipt of a finished booking: energy, duration, average power, cost breakdown, payments, balance."""
    session, tariff = booking.session, booking.connector.charger.station.tariff
    payments = [p for p in booking.payments if p.status != "pending"]
    owed = ledger.of_booking(booking.id)
    if session is None or session.stopped_at is None:
        # a no-show or cancellation: only a fee, if anything
        fee = booking.amount_due if booking.amount_due is not None else booking.amount_captured
        return Receipt(booking, 0, timedelta(0), 0.0, pricing.Breakdown(0, 0, fee), payments, owed)
    duration = session.stopped_at - session.started_at
    average, suspect = average_power(session.energy_wh, duration, booking.connector.max_power_kw)
    if tariff is not None:
        base = pricing.session_cost(tariff, session.energy_wh, session.started_at, session.stopped_at,
                                    booking.charging_mode, booking.mode_segments)
    else:
        base = pricing.Breakdown(0, 0, 0)
    breakdown = pricing.Breakdown(base.energy, base.time, base.session_fee, booking.idle_fee)
    return Receipt(booking, session.energy_wh, duration, average if average is not None else 0.0, breakdown,
                   payments, owed, clock_suspect=suspect)
