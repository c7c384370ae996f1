"""What the driver buys: kWh presets with their pre-authorisation, a custom kWh, or an amount to spend."""
from ...models import Booking
from ...money import format_money
from ..money import pricing
from . import modes, slot_gaps
from .bookings import QUOTA_LIMITS_KWH, quote
from ..errors import InvalidInput

PRESETS_KWH = (5, 10, 20, 40)


def presets(booking: Booking) -> list[tuple[int, int]]:
    """[(kWh, pre-authorisation in minor units)] for the pay page."""
    return [(kwh, quote(booking, kwh)) for kwh in PRESETS_KWH]


def kwh_for_amount(booking: Booking, amount: int, mode: str = modes.FAST, floor_kw: float | None = None) -> float:
    """The largest quota (0.1 kWh steps) whose pre-authorisation in `mode` fits in `amount` minor units."""
    tariff = booking.connector.charger.station.tariff
    kw = modes.choose(booking, mode, QUOTA_LIMITS_KWH[0], floor_kw).expected_kw

    def authorisation(kwh: float) -> int:
        return pricing.authorisation(tariff, kwh, kw, mode)
    low, high = int(QUOTA_LIMITS_KWH[0] * 10), int(QUOTA_LIMITS_KWH[1] * 10)
    if authorisation(low / 10) > amount:
        minimum = format_money(authorisation(low / 10), booking.currency)
        raise InvalidInput(f"That buys less than {QUOTA_LIMITS_KWH[0]} kWh here; the minimum is {minimum}.",
                           {"field": "amount"})
    while low < high:  # the pre-authorisation grows with the quota: binary search
        mid = (low + high + 1) // 2
        if authorisation(mid / 10) <= amount:
            low = mid
        else:
            high = mid - 1
    return low / 10


def resolve(booking: Booking, kwh: float | None = None, amount: int | None = None, field: str = "quota",
            mode: str = modes.FAST, floor_kw: float | None = None) -> float:
    """The quota in kWh: `kwh` as chosen (a preset, or another amount of energy, named by `field` in the
    form), or the most that `amount` minor units buy in `mode`; InvalidInput (naming the field) when out of limits."""
    if amount is not None:
        kwh, field = kwh_for_amount(booking, amount, mode, floor_kw), "amount"
    if kwh is None:
        raise InvalidInput("Choose how much energy to buy.", {"field": field})
    if not QUOTA_LIMITS_KWH[0] <= kwh <= QUOTA_LIMITS_KWH[1]:
        raise InvalidInput(f"Choose between {QUOTA_LIMITS_KWH[0]} and {QUOTA_LIMITS_KWH[1]} kWh.", {"field": field})
    slot_gaps.check_gap(booking, round(kwh, 1), field)  # a slot booked later on this connector
    return round(kwh, 1)
