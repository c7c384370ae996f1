"""How the simulated meter writes one reading as OCPP 1.6 sampledValues.

Real chargers differ: single-phase ones send the register and power as totals; three-phase ones send
per-phase values (L1, L2, L3), with or without the totals, in Wh or kWh, and often the grid-side (Inlet)
meter and a temperature of the Body too. ``MeterFormat`` picks one of these, so tests can hold the
server to what OCPP 1.6 says each sampledValue means.
"""

from __future__ import annotations

from dataclasses import dataclass

PHASES = ("L1", "L2", "L3")
INLET_LOSSES = 1.02  # the grid side of the charger reads about 2 % more than its outlet
VOLTAGE_LN = 230


@dataclass(frozen=True)
class MeterFormat:
    """Which sampledValues a reading carries."""

    phases: int = 1  # 3: per-phase Energy, Power and Current on L1, L2, L3 (the totals split exactly)
    total: bool = True  # with phases=3, also send the register and the power without a phase
    energy_unit: str = "Wh"  # or "kWh"
    power_unit: str = "W"  # or "kW"
    extras: bool = False  # an Inlet register, Voltage per phase (L1-N...), the Body temperature


def split(total: int, parts: int = 3) -> list[int]:
    """``total`` in ``parts`` integers that add up to it exactly (the first ones take the remainder)."""
    base, rest = divmod(total, parts)
    return [base + (1 if i < rest else 0) for i in range(parts)]


def sampled_values(fmt: MeterFormat, register_wh: int, power_w: int, soc: float | None,
                   context: str) -> list[dict]:
    """The sampledValue list of one reading: register (Wh), power (W) and SoC as ``fmt`` says."""
    def energy(wh: int, **extra) -> dict:
        value = f"{wh / 1000:.3f}" if fmt.energy_unit == "kWh" else str(wh)
        return {"value": value, "context": context, "measurand": "Energy.Active.Import.Register",
                "unit": fmt.energy_unit, **extra}

    def power(w: int, **extra) -> dict:
        value = f"{w / 1000:.3f}" if fmt.power_unit == "kW" else str(w)
        return {"value": value, "context": context, "measurand": "Power.Active.Import",
                "unit": fmt.power_unit, **extra}

    samples: list[dict] = []
    if fmt.phases == 1 or fmt.total:
        samples += [energy(register_wh, location="Outlet"), power(power_w, location="Outlet")]
    if fmt.phases == 3:
        for phase, wh, w in zip(PHASES, split(register_wh), split(power_w)):
            samples += [energy(wh, location="Outlet", phase=phase), power(w, location="Outlet", phase=phase),
                        {"value": f"{w / VOLTAGE_LN:.1f}", "context": context, "measurand": "Current.Import",
                         "location": "Outlet", "phase": phase, "unit": "A"}]
    if fmt.extras:
        samples.append(energy(int(register_wh * INLET_LOSSES), location="Inlet"))
        for phase in PHASES[:fmt.phases]:
            samples.append({"value": str(VOLTAGE_LN), "context": context, "measurand": "Voltage",
                            "location": "Outlet", "phase": f"{phase}-N", "unit": "V"})
        samples.append({"value": "41.5", "context": context, "measurand": "Temperature", "location": "Body",
                        "unit": "Celsius"})
    if soc is not None:
        samples.append({"value": str(int(soc)), "context": context, "measurand": "SoC", "location": "EV",
                        "unit": "Percent"})
    return samples
