"""Numbers the driver sees: the live session (energy, power, cost so far, quota, ETA) and the receipt."""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import joinedload

from ..models import Booking, Charger, Connector, Payment
from ..timeutil import utcnow
from . import ledger, pricing


#: Loader options for a booking about to be shown live: its session, connector, charger, station and tariff
#: come in the booking's own query (the tariff is joined to the station by the model).
LIVE_LOAD = (joinedload(Booking.session),
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


def live(booking: Booking, now: datetime | None = None) -> Live:
    """The live numbers of a booking's session (zeros until StartTransaction arrives)."""
    now = now or utcnow()
    session, tariff = booking.session, booking.connector.charger.station.tariff
    if session is None:
        return Live(started=False)
    end = session.stopped_at or now
    running = session.stopped_at is None
    power = (session.power_w or 0) / 1000 if running else 0.0
    result = Live(started=True, energy_wh=session.energy_wh, power_kw=power, soc=session.soc_last,
                  elapsed=end - session.started_at)
    if tariff is not None:
        result.cost = pricing.session_cost(tariff, session.energy_wh, session.started_at, end)
        if booking.status == "OVERSTAY" and booking.exit_by is not None:
            result.idle_fee = pricing.idle_fee(tariff, booking.exit_by, now)
    if booking.quota_kwh:
        quota_wh = booking.quota_kwh * 1000
        result.quota_pct = min(100.0, 100.0 * session.energy_wh / quota_wh)
        if running and power > 0 and session.energy_wh < quota_wh:
            result.eta = now + timedelta(hours=(quota_wh - session.energy_wh) / 1000 / power)
    return result


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
    hours_ = duration.total_seconds() / 3600
    average = session.energy_wh / 1000 / hours_ if hours_ > 0 else 0.0
    if tariff is not None:
        base = pricing.session_cost(tariff, session.energy_wh, session.started_at, session.stopped_at)
    else:
        base = pricing.Breakdown(0, 0, 0)
    breakdown = pricing.Breakdown(base.energy, base.time, base.session_fee, booking.idle_fee)
    return Receipt(booking, session.energy_wh, duration, average, breakdown, payments, owed)
