"""Tariff arithmetic in integer minor units.

energy cost = round-half-up(Wh x price_per_kwh / 1000); time cost = price_per_minute x whole minutes;
a session fee once per session; idle fee per started minute past the exit grace.
A tariff may price the charging modes differently (`price_per_kwh_standard`, `price_per_kwh_solar`; None is
the Fast price): the energy is billed at the price of the booking's mode.
The pre-authorisation holds the quota plus a headroom (headroom_kwh), so a quota stop that overruns by a
meter reading is still captured exactly; whatever is not used is refunded.
"""
import math
from dataclasses import dataclass
from datetime import datetime

from ...models import Tariff


@dataclass(frozen=True)
class Breakdown:
    energy: int
    time: int
    session_fee: int
    idle: int = 0

    @property
    def total(self) -> int:
        return self.energy + self.time + self.session_fee + self.idle


MODES = ("fast", "standard", "solar")


def price_per_kwh(tariff: Tariff, mode: str = "fast") -> int:
    """The price per kWh of a charging mode: its own price when the tariff sets one, else the Fast price."""
    if mode not in MODES:
        raise ValueError(f"unknown charging mode {mode!r}")
    own = getattr(tariff, f"price_per_kwh_{mode}", None) if mode != "fast" else None
    return tariff.price_per_kwh if own is None else own


def energy_cost(tariff: Tariff, energy_wh: int, mode: str = "fast", segments: list | None = None) -> int:
    """The energy at the mode's price; with `segments` ([[from_wh, mode], ...], the modes a session switched
    between) each segment's energy at its own mode's price (rounded once, over the sum)."""
    energy_wh = max(0, energy_wh)
    if not segments:
        return (energy_wh * price_per_kwh(tariff, mode) + 500) // 1000
    bounds = [int(start) for start, _ in segments[1:]] + [energy_wh]
    milli = sum(max(0, min(end, energy_wh) - min(int(start), energy_wh)) * price_per_kwh(tariff, seg_mode)
                for (start, seg_mode), end in zip(segments, bounds))
    return (milli + 500) // 1000


@dataclass(frozen=True)
class Segment:
    """One stretch of a session charged in one mode: its energy, that mode's price and what it cost."""

    mode: str
    energy_wh: int
    price_per_kwh: int
    cost: int


def segment_costs(tariff: Tariff, energy_wh: int, mode: str = "fast", segments: list | None = None) -> list[Segment]:
    """``energy_cost`` split by segment, for the receipt: each segment's cost rounded, the last one taking what
    rounding left, so they add up to ``energy_cost`` exactly. Empty segments are left out."""
    energy_wh = max(0, energy_wh)
    spans = segments or [[0, mode]]
    bounds = [int(start) for start, _ in spans[1:]] + [energy_wh]
    parts = [(seg_mode, max(0, min(end, energy_wh) - min(int(start), energy_wh)))
             for (start, seg_mode), end in zip(spans, bounds)]
    parts = [(m, wh) for m, wh in parts if wh > 0] or [(spans[-1][1], 0)]
    out, spent = [], 0
    for i, (seg_mode, wh) in enumerate(parts):
        price = price_per_kwh(tariff, seg_mode)
        cost = (energy_cost(tariff, energy_wh, mode, segments) - spent if i == len(parts) - 1
                else (wh * price + 500) // 1000)
        spent += cost
        out.append(Segment(seg_mode, wh, price, cost))
    return out


def session_cost(tariff: Tariff, energy_wh: int, started: datetime, stopped: datetime,
                 mode: str = "fast", segments: list | None = None) -> Breakdown:
    """What a finished (or running, with stopped=now) session costs before idle fees."""
    minutes = max(0, int((stopped - started).total_seconds() // 60))
    return Breakdown(energy=energy_cost(tariff, energy_wh, mode, segments), time=tariff.price_per_minute * minutes,
                     session_fee=tariff.session_fee)


def idle_fee(tariff: Tariff, exit_by: datetime, freed_at: datetime) -> int:
    """Idle fee for every started minute the connector stayed occupied past the exit grace."""
    if freed_at <= exit_by:
        return 0
    return tariff.idle_fee_per_minute * math.ceil((freed_at - exit_by).total_seconds() / 60)


#: The pre-authorisation covers energy beyond the quota: the charger stops a meter reading (and a command
#: round trip) after the quota is reached, and that energy is billed too, exactly. The headroom is the
#: larger of a share of the quota and what the connector delivers at full power in a few minutes.
AUTH_HEADROOM_PERCENT = 10
AUTH_HEADROOM_MINUTES = 2


def headroom_kwh(quota_kwh: float, max_power_kw: float) -> float:
    """Extra energy held beyond the quota, rounded up to 0.1 kWh."""
    extra = max(quota_kwh * AUTH_HEADROOM_PERCENT / 100, max_power_kw * AUTH_HEADROOM_MINUTES / 60)
    return math.ceil(round(extra * 10, 6)) / 10


def authorisation(tariff: Tariff, quota_kwh: float, max_power_kw: float, mode: str = "fast") -> int:
    """The pre-authorised amount: the quota's energy (at the mode's price) plus headroom, the fee, and time at
    `max_power_kw` (the connector's full power, or the mode's expected power)."""
    wh = int(round((quota_kwh + headroom_kwh(quota_kwh, max_power_kw)) * 1000))
    minutes = math.ceil(quota_kwh / max(max_power_kw, 1.0) * 60) if tariff.price_per_minute else 0
    return energy_cost(tariff, wh, mode) + tariff.session_fee + tariff.price_per_minute * minutes


def energy_within(tariff: Tariff, budget: float, max_power_kw: float, mode: str = "fast") -> int:
    """The session energy (Wh) whose cost (energy, session fee, and time at full power) reaches `budget`."""
    per_wh = price_per_kwh(tariff, mode) / 1000 + tariff.price_per_minute * 60 / (max(max_power_kw, 1.0) * 1000)
    if per_wh <= 0:
        return 2**31 - 1  # free energy never outruns an authorisation
    return max(0, int((budget - tariff.session_fee) / per_wh))
