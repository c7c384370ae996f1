"""OCPP 1.6 charging profiles as we send them (SetChargingProfile payloads, camelCase like every command)
and the GetCompositeSchedule answer read back. Pure: no database, no socket.

What the charger takes is read once from its configuration (``ChargerCaps.from_configuration``): the
allowed units (W preferred; in A a kW limit is ``kW x 1000 / (voltage x phases)`` of the connector it goes
to, rounded down to the 0.1 the schema allows, so a limit is never exceeded), the highest stack level, how
many profiles it keeps (``max_profiles``) and SmartCharging itself.
Our profiles sit at the charger's highest stack level, so they prevail over anything lower it has, and
each has a fixed id per purpose and connector, so a new one replaces ours and nothing else:
ChargePointMaxProfile 1, TxDefaultProfile 100 + connector, TxProfile 200 + connector.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Mapping, Sequence

from ocpp.charge_point import remove_nones, serialize_as_dict, snake_to_camel_case
from ocpp.v16 import call
from ocpp.v16.datatypes import ChargingProfile, ChargingSchedule, ChargingSchedulePeriod
from ocpp.v16.enums import ChargingProfileKindType, ChargingProfilePurposeType, RecurrencyKind

VOLTAGE = 230.0
UNIT_NAMES = {"Power": "W", "Current": "A"}
CHARGE_POINT_MAX_ID, TX_DEFAULT_BASE, TX_BASE = 1, 100, 200


@dataclass(frozen=True)
class ChargerCaps:
    """What a charger's configuration says it takes."""

    smart_charging: bool = True
    units: tuple[str, ...] = ("W", "A")
    max_stack_level: int = 0
    max_profiles: int | None = None
    phases: int = 3

    @classmethod
    def from_configuration(cls, keys: Mapping[str, str], phases: int = 3) -> "ChargerCaps":
        """From GetConfiguration's {key: value}; missing or unreadable keys take the spec's safe values."""
        profiles = {p.strip() for p in keys.get("SupportedFeatureProfiles", "").split(",")}
        allowed = [UNIT_NAMES[u.strip()] for u in keys.get("ChargingScheduleAllowedChargingRateUnit", "").split(",")
                   if u.strip() in UNIT_NAMES]
        units = tuple(sorted(allowed, key="WA".index)) or ("W", "A")
        return cls(smart_charging="SmartCharging" in profiles, units=units,
                   max_stack_level=_integer(keys.get("ChargeProfileMaxStackLevel"), 0),
                   max_profiles=_integer(keys.get("MaxChargingProfilesInstalled"), None), phases=phases)

    @property
    def unit(self) -> str:
        return self.units[0]

    def limit(self, kw: float, wiring: "Wiring | None" = None) -> float:
        """``kw`` in this charger's unit (A with the connector's ``wiring``), rounded down to 0.1."""
        wiring = wiring or Wiring(self.phases)
        value = kw * 1000 if self.unit == "W" else kw * 1000 / (wiring.voltage * wiring.phases)
        return int(max(0.0, value) * 10 + 1e-6) / 10

    def kw(self, limit: float, unit: str, phases: int | None = None) -> float:
        """A limit in ``unit`` (W or A, with ``phases`` or the charger's) as kW."""
        watts = float(limit) if unit == "W" else float(limit) * VOLTAGE * (phases or self.phases)
        return watts / 1000


@dataclass(frozen=True)
class Wiring:
    """How a connector is wired (phases, volts per phase): what turns kW into A."""

    phases: int = 3
    voltage: float = VOLTAGE


def _integer(value: str | None, default):
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _payload(connector_id: int, profile: ChargingProfile) -> dict:
    request = call.SetChargingProfile(connector_id=connector_id, cs_charging_profiles=profile)
    return remove_nones(snake_to_camel_case(serialize_as_dict(request)))


def _stack(caps: ChargerCaps, stack_level: int | None) -> int:
    level = caps.max_stack_level if stack_level is None else stack_level
    if not 0 <= level <= caps.max_stack_level:
        raise ValueError(f"stack level {level} outside 0..{caps.max_stack_level}")
    return level


def _schedule(caps: ChargerCaps, periods: Sequence[tuple[int, float]], start: datetime | None = None,
              duration: int | None = None, wiring: Wiring | None = None) -> ChargingSchedule:
    return ChargingSchedule(
        charging_rate_unit=caps.unit, duration=duration, start_schedule=start and _iso(start),
        charging_schedule_period=[ChargingSchedulePeriod(start_period=s, limit=caps.limit(kw, wiring))
                                  for s, kw in periods])


def tx_profile(connector_id: int, transaction_id: int, kw: float, caps: ChargerCaps,
               stack_level: int | None = None, wiring: Wiring | None = None) -> dict:
    """SetChargingProfile: this transaction may draw ``kw`` from now to its end."""
    profile = ChargingProfile(
        charging_profile_id=TX_BASE + connector_id, stack_level=_stack(caps, stack_level),
        charging_profile_purpose=ChargingProfilePurposeType.tx_profile,
        charging_profile_kind=ChargingProfileKindType.relative, transaction_id=transaction_id,
        charging_schedule=_schedule(caps, [(0, kw)], wiring=wiring))
    return _payload(connector_id, profile)


def tx_default_profile(connector_id: int, kw: float, caps: ChargerCaps, stack_level: int | None = None,
                       wiring: Wiring | None = None) -> dict:
    """SetChargingProfile: every new transaction on the connector (0: on every connector) starts at ``kw``."""
    profile = ChargingProfile(
        charging_profile_id=TX_DEFAULT_BASE + connector_id, stack_level=_stack(caps, stack_level),
        charging_profile_purpose=ChargingProfilePurposeType.tx_default_profile,
        charging_profile_kind=ChargingProfileKindType.relative,
        charging_schedule=_schedule(caps, [(0, kw)], wiring=wiring))
    return _payload(connector_id, profile)


def charge_point_max_profile(periods: Sequence[tuple[int, float]], caps: ChargerCaps, start: datetime,
                             daily: bool = False, stack_level: int | None = None,
                             wiring: Wiring | None = None) -> dict:
    """SetChargingProfile on connector 0: the whole charger's cap, ``periods`` [(seconds from ``start``, kW)];
    ``daily`` repeats them every day from ``start`` (a station's time-of-day limit)."""
    profile = ChargingProfile(
        charging_profile_id=CHARGE_POINT_MAX_ID, stack_level=_stack(caps, stack_level),
        charging_profile_purpose=ChargingProfilePurposeType.charge_point_max_profile,
        charging_profile_kind=ChargingProfileKindType.recurring if daily else ChargingProfileKindType.absolute,
        recurrency_kind=RecurrencyKind.daily if daily else None,
        charging_schedule=_schedule(caps, periods, start, 86400 if daily else None, wiring))
    return _payload(0, profile)


def clear_profile(profile_id: int) -> dict:
    """ClearChargingProfile of one of our profiles, by its id (the other criteria are then ignored, 1.6 5.4)."""
    return remove_nones(snake_to_camel_case(serialize_as_dict(call.ClearChargingProfile(id=profile_id))))


def parse_composite(answer: Mapping, caps: ChargerCaps) -> tuple[datetime, list[tuple[int, float]]] | None:
    """A GetCompositeSchedule answer (camelCase) as (start, [(offset s, limit kW)]); None unless Accepted
    with a schedule."""
    schedule = answer.get("chargingSchedule")
    if answer.get("status") != "Accepted" or not schedule:
        return None
    stamp = answer.get("scheduleStart") or schedule.get("startSchedule")
    start = datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp else None
    if start is None:
        return None
    start = start.replace(tzinfo=timezone.utc) if start.tzinfo is None else start.astimezone(timezone.utc)
    unit = schedule["chargingRateUnit"]
    periods = [(p["startPeriod"], round(caps.kw(p["limit"], unit, p.get("numberPhases")), 6))
               for p in schedule["chargingSchedulePeriod"]]
    return start, periods
