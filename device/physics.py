"""Physics of the simulated site: EV battery, energy meter and solar array.

Plain dataclasses and functions with no asyncio and no OCPP, so the charger, the
demo and tests can share them.

Model
-----
* Charging power is ``min(charger max kW, EV max kW)`` up to 80 % state of charge,
  then tapers linearly to 10 % of that at 100 %; a full battery draws nothing.
* Energy per tick is ``power_kw * dt_hours * time_scale``. ``time_scale`` speeds up
  energy flow (and so SoC) for tests and demos; the reported power stays the real
  instantaneous power.
* Every Wh that leaves the meter ends up in the battery (no losses), so the SoC the
  server sees always agrees with the energy it bills.
* The meter is a monotonic register in Wh that never resets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

TAPER_START_SOC = 80.0
TAPER_FLOOR = 0.1
DEFAULT_METER_START_WH = 1_000_000.0
MAX_SLICE_S = 30.0


@dataclass
class EV:
    """A plugged-in vehicle: battery capacity, state of charge and power limit."""

    battery_kwh: float = 60.0
    soc: float = 30.0
    max_kw: float | None = None  # onboard charger limit; None = whatever the charger gives

    @property
    def full(self) -> bool:
        return self.soc >= 100.0

    def taper(self) -> float:
        """Fraction of its maximum power the battery accepts at the current SoC."""
        if self.full:
            return 0.0
        if self.soc <= TAPER_START_SOC:
            return 1.0
        return max(TAPER_FLOOR, (100.0 - self.soc) / (100.0 - TAPER_START_SOC))

    def absorb(self, kwh: float) -> float:
        """Store up to ``kwh`` and return what was really stored (never past 100 %)."""
        room = (100.0 - self.soc) / 100.0 * self.battery_kwh
        stored = max(0.0, min(kwh, room))
        self.soc = min(100.0, self.soc + stored / self.battery_kwh * 100.0)
        if room - stored < 1e-9:
            self.soc = 100.0
        return stored


@dataclass
class Meter:
    """Monotonic energy register of one connector, in Wh."""

    wh: float = DEFAULT_METER_START_WH

    @property
    def register(self) -> int:
        return int(self.wh)

    def add(self, wh: float) -> None:
        if wh > 0:
            self.wh += wh


def charging_power_kw(charger_max_kw: float, ev: EV | None) -> float:
    """Power the EV draws right now from a connector limited to ``charger_max_kw``."""
    if ev is None:
        return 0.0
    limit = charger_max_kw if ev.max_kw is None else min(charger_max_kw, ev.max_kw)
    return limit * ev.taper()


def step(ev: EV | None, meter: Meter, charger_max_kw: float, dt_s: float,
         time_scale: float = 1.0) -> float:
    """Advance ``dt_s`` real seconds (``dt_s * time_scale`` simulated); return kWh stored.

    Long ticks are integrated in slices of at most ``MAX_SLICE_S`` simulated seconds so
    the taper above 80 % stays smooth whatever the tick length and time scale.
    """
    remaining = max(0.0, dt_s) * time_scale
    total = 0.0
    while remaining > 0 and ev is not None and not ev.full:
        chunk = min(remaining, MAX_SLICE_S)
        stored = ev.absorb(charging_power_kw(charger_max_kw, ev) * chunk / 3600.0)
        meter.add(stored * 1000.0)
        total += stored
        remaining -= chunk
    return total


@dataclass
class Solar:
    """A PV array of ``peak_kw``; production follows the sun unless ``follow_sun`` is off."""

    peak_kw: float = 0.0
    follow_sun: bool = True
    sunrise_hour: float = 6.0
    sunset_hour: float = 20.0

    def production_kw(self, when: datetime | None = None) -> float:
        """Output at ``when`` (the host's local time): a sine bell between sunrise and sunset."""
        if self.peak_kw <= 0:
            return 0.0
        if not self.follow_sun:
            return self.peak_kw
        local = (when or datetime.now().astimezone()).astimezone()
        hour = local.hour + local.minute / 60.0 + local.second / 3600.0
        if not self.sunrise_hour < hour < self.sunset_hour:
            return 0.0
        day = (hour - self.sunrise_hour) / (self.sunset_hour - self.sunrise_hour)
        return round(self.peak_kw * math.sin(math.pi * day), 3)
