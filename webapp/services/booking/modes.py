"""The driver's charging mode, offered at checkout and changeable mid-session: Fast (the connector's full
power), Standard (the station's lower power) and Solar (following the station's solar surplus, never below
the floor the driver accepts). Each offer states its price per kWh, the power to expect, the estimated
finish for the quota (and the driver's battery, when known) and the pre-authorisation it needs.

Standard and Solar need a charger that takes OCPP Smart Charging profiles (`smart.capable`); elsewhere
only Fast is offered and the page says why. The power plan itself is `services/charging/smart.py`'s.
"""
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from ...extensions import db
from ...models import AuditLog, Booking, Charger, SolarSample
from ...timeutil import utcnow
from ..errors import InvalidInput
from ..charging import smart
from ..money import pricing

FAST, STANDARD, SOLAR = pricing.MODES
LABELS = {FAST: "Fast", STANDARD: "Standard", SOLAR: "Solar"}
#: The least a Solar floor may be: 6 A on one phase, what an EV charges at, at the least (IEC 61851).
SOLAR_FLOOR_MIN_KW = 1.4
SOLAR_FLOOR_DEFAULT_KW = 3.7
#: A solar report older than this says nothing about the surplus now.
SOLAR_FRESH = timedelta(minutes=15)
NOT_SMART = "This charger does not take smart-charging profiles: only Fast is available here."


@dataclass(frozen=True)
class Offer:
    mode: str
    available: bool
    price_per_kwh: int = 0
    expected_kw: float = 0.0
    finish_minutes: int | None = None
    authorisation: int | None = None
    reason: str = ""

    @property
    def label(self) -> str:
        return LABELS[self.mode]


def solar_kw_now(station_id: int) -> float:
    """The station's latest solar production report (kW) of the last SOLAR_FRESH, else 0."""
    since = utcnow() - SOLAR_FRESH
    kw = db.session.execute(select(SolarSample.kw).join(Charger, Charger.id == SolarSample.charger_id)
                            .where(Charger.station_id == station_id, SolarSample.timestamp >= since)
                            .order_by(SolarSample.timestamp.desc()).limit(1)).scalar_one_or_none()
    return kw or 0.0


def check_floor(booking: Booking, mode: str, floor_kw: float | None) -> float | None:
    """The Solar floor to keep (None for other modes); InvalidInput naming `solar_floor_kw` when out of range."""
    if mode != SOLAR:
        return None
    top = booking.connector.max_power_kw
    floor = SOLAR_FLOOR_DEFAULT_KW if floor_kw is None else floor_kw
    if not SOLAR_FLOOR_MIN_KW <= floor <= top:
        raise InvalidInput(f"Choose a Solar floor between {SOLAR_FLOOR_MIN_KW:g} and {top:g} kW.",
                           {"field": "solar_floor_kw"})
    return round(min(floor, top), 1)


def expected_kw(booking: Booking, mode: str, floor_kw: float | None = None) -> float:
    """The power to expect in `mode`: the connector's, the station's Standard power, or the solar surplus now
    (at least the floor)."""
    top = booking.connector.max_power_kw
    if mode == STANDARD:
        return min(top, booking.connector.charger.station.standard_kw or top)
    if mode == SOLAR:
        return min(top, max(floor_kw or SOLAR_FLOOR_DEFAULT_KW, solar_kw_now(booking.connector.charger.station_id)))
    return top


def finish_minutes(booking: Booking, quota_kwh: float, kw: float, delivered_wh: int = 0) -> int:
    """Minutes to deliver what is left of the quota at `kw`, no more than the driver's battery holds."""
    left = max(0.0, quota_kwh - delivered_wh / 1000)
    if booking.user.battery_kwh:
        left = min(left, booking.user.battery_kwh)
    return int(-(-left * 60 // max(kw, 0.1)))  # rounded up


def offer(booking: Booking, mode: str, quota_kwh: float, floor_kw: float | None = None) -> Offer:
    """What `mode` costs and gives for this booking's quota; unavailable (with the reason) where it cannot run."""
    if mode not in LABELS:
        raise InvalidInput("Choose Fast, Standard or Solar.", {"field": "charging_mode"})
    station = booking.connector.charger.station
    if mode != FAST and not smart.capable(booking.connector.charger):
        return Offer(mode, False, reason=NOT_SMART)
    if mode == STANDARD and not station.standard_kw:
        return Offer(mode, False, reason="This station has no Standard power set.")
    tariff, kw = station.tariff, expected_kw(booking, mode, floor_kw)
    return Offer(mode, True, pricing.price_per_kwh(tariff, mode), kw, finish_minutes(booking, quota_kwh, kw),
                 pricing.authorisation(tariff, quota_kwh, kw, mode))


def offers(booking: Booking, quota_kwh: float, floor_kw: float | None = None) -> list[Offer]:
    return [offer(booking, mode, quota_kwh, floor_kw) for mode in LABELS]


def choose(booking: Booking, mode: str, quota_kwh: float, floor_kw: float | None = None) -> Offer:
    """The offer of the mode the driver chose; InvalidInput (naming the field) when it is not available."""
    chosen = offer(booking, mode, quota_kwh, check_floor(booking, mode, floor_kw))
    if not chosen.available:
        raise InvalidInput(chosen.reason, {"field": "charging_mode"})
    return chosen


def used(booking: Booking) -> list[str]:
    """The modes the booking charged in, in order (from its audit trail: paid in one, changed to others)."""
    afters = db.session.execute(select(AuditLog.after).where(
        AuditLog.target_type == "booking", AuditLog.target_id == str(booking.id),
        AuditLog.action.in_(("booking.pay", "booking.change"))).order_by(AuditLog.id)).scalars().all()
    seen: list[str] = []
    for mode in [(after or {}).get("charging_mode") for after in afters] + [booking.charging_mode]:
        if mode and (not seen or seen[-1] != mode):
            seen.append(mode)
    return seen


def segments(booking: Booking, energy_wh: int) -> list[pricing.Segment]:
    """The booking's energy split by the mode it charged in (kWh, price, cost each), as billed; [] without a tariff."""
    tariff = booking.connector.charger.station.tariff
    if tariff is None:
        return []
    return pricing.segment_costs(tariff, energy_wh, booking.charging_mode, booking.mode_segments)


def price_of(booking: Booking) -> int | None:
    """The price per kWh the booking's energy is billed at (its mode's), or None without a tariff."""
    tariff = booking.connector.charger.station.tariff
    return pricing.price_per_kwh(tariff, booking.charging_mode) if tariff is not None else None
