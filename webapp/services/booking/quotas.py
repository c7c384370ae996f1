"""What the driver buys: kWh presets with their pre-authorisation, a custom kWh, or an amount to spend."""
from ...models import Booking
from ...money import format_money
from ..money import pricing
from . import slot_gaps
from .bookings import QUOTA_LIMITS_KWH, quote
from ..errors import InvalidInput

PRESETS_KWH = (5, 10, 20, 40)


def presets(booking: Booking) -> list[tuple[int, int]]:
    """[(kWh, pre-authorisation in minor units)] for the pay page."""
    return [(kwh, quote(booking, kwh)) for kwh in PRESETS_KWH]


def kwh_for_amount(booking: Booking, amount: int) -> float:
    """The largest quota (0.1 kWh steps) whose pre-authorisation fits in `amount` minor units."""
    tariff, max_kw = booking.connector.charger.station.tariff, booking.connector.max_power_kw
    low, high = int(QUOTA_LIMITS_KWH[0] * 10), int(QUOTA_LIMITS_KWH[1] * 10)
    if pricing.authorisation(tariff, low / 10, max_kw) > amount:
        minimum = format_money(pricing.authorisation(tariff, low / 10, max_kw), booking.currency)
        raise InvalidInput(f"That buys less than {QUOTA_LIMITS_KWH[0]} kWh here; the minimum is {minimum}.",
                           {"field": "amount"})
    while low < high:  # the pre-authorisation grows with the quota: binary search
        mid = (low + high + 1) // 2
        if pricing.authorisation(tariff, mid / 10, max_kw) <= amount:
            low = mid
        else:
            high = mid - 1
    return low / 10


def resolve(booking: Booking, kwh: float | None = None, amount: int | None = None, field: str = "quota") -> float:
    """The quota in kWh: `kwh` as chosen (a preset, or another amount of energy, named by `field` in the
    form), or the most that `amount` minor units buy; InvalidInput (naming the field) when out of limits."""
    if amount is not None:
        kwh, field = kwh_for_amount(booking, amount), "amount"
    if kwh is None:
        raise InvalidInput("Choose how much energy to buy.", {"field": field})
    if not QUOTA_LIMITS_KWH[0] <= kwh <= QUOTA_LIMITS_KWH[1]:
        raise InvalidInput(f"Choose between {QUOTA_LIMITS_KWH[0]} and {QUOTA_LIMITS_KWH[1]} kWh.", {"field": field})
    slot_gaps.check_gap(booking, round(kwh, 1), field)  # a slot booked later on this connector
    return round(kwh, 1)
