"""Tariffs: prices in integer minor units; a tariff in use is retired rather than deleted."""
import re
from dataclasses import asdict, dataclass

from sqlalchemy import select

from ...extensions import db
from ...models import Station, Tariff
from ...money import parse_money
from ..platform import audit
from ..errors import Conflict, InvalidInput

MAX_AMOUNT = 999_999_999  # nine digits, as money.parse_money reads them
CURRENCY = re.compile(r"^[A-Z]{3}$")
#: What the audit log keeps of a tariff, before and after a change.
TARIFF_FIELDS = ("name", "currency", "price_per_kwh", "price_per_minute", "session_fee", "idle_fee_per_minute",
                 "price_per_kwh_standard", "price_per_kwh_solar", "slot_free_cancel_minutes", "slot_payment",
                 "slot_deposit", "retired")
SLOT_PAYMENTS = ("quota", "deposit")  # what paying a slot booked ahead pre-authorises
MAX_FREE_CANCEL_MINUTES = 7 * 24 * 60


@dataclass(frozen=True)
class Prices:
    """A tariff's name, currency and amounts (integer minor units; 0 where none is charged)."""
    name: str
    currency: str
    price_per_kwh: int
    price_per_minute: int = 0
    session_fee: int = 0
    idle_fee_per_minute: int = 0
    #: The Standard and Solar charging modes' prices per kWh; None: the same as price_per_kwh.
    price_per_kwh_standard: int | None = None
    price_per_kwh_solar: int | None = None
    #: Slots booked ahead: free cancellation until this many minutes before the start (later: the session fee
    #: is kept); paying one pre-authorises the quota's price or `slot_deposit`.
    slot_free_cancel_minutes: int = 60
    slot_payment: str = "quota"
    slot_deposit: int = 0


def parse_amount(text, field: str, label: str, required: bool = False) -> int:
    """'18', '18.5', '0,10' (major units) -> minor units (money.parse_money); raises InvalidInput naming the field.

    Left for the refund form until it uses `forms.fields.MoneyField`, as the tariff form does."""
    if not str(text or "").strip() and not required:
        return 0
    return parse_money(text, field, label)


def _values(prices: Prices) -> dict:
    """The columns to store; raises InvalidInput naming the field."""
    if not prices.name.strip() or len(prices.name) > 80:
        raise InvalidInput("Name is required (at most 80 characters).", {"field": "name"})
    if not CURRENCY.match(prices.currency):
        raise InvalidInput("Currency is a 3-letter ISO code such as INR.", {"field": "currency"})
    if prices.slot_payment not in SLOT_PAYMENTS:
        raise InvalidInput("Choose what a slot pre-authorises: its quota or a deposit.", {"field": "slot_payment"})
    if not 0 <= prices.slot_free_cancel_minutes <= MAX_FREE_CANCEL_MINUTES:
        raise InvalidInput("Free cancellation is between 0 minutes and 7 days before the start.",
                           {"field": "slot_free_cancel_minutes"})
    if prices.slot_payment == "deposit" and prices.slot_deposit <= 0:
        raise InvalidInput("Give the deposit a slot pre-authorises.", {"field": "slot_deposit"})
    amounts = {k: v for k, v in asdict(prices).items()
               if k not in ("name", "currency", "slot_payment", "slot_free_cancel_minutes")}
    for key, amount in amounts.items():
        if amount is not None and not 0 <= amount <= MAX_AMOUNT:
            raise InvalidInput(f"{key.replace('_', ' ').capitalize()} is out of range.", {"field": key})
    return asdict(prices)


def create_tariff(prices: Prices) -> Tariff:
    """Create a tariff. Audited."""
    tariff = Tariff(**_values(prices))
    db.session.add(tariff)
    db.session.flush()
    audit.log("tariff.create", "tariff", tariff.id, None, audit.snapshot(tariff, TARIFF_FIELDS))
    db.session.commit()
    return tariff


def update_tariff(tariff: Tariff, prices: Prices) -> Tariff:
    """Change a tariff; the new prices apply to sessions priced from now on. Audited."""
    if tariff.retired:
        raise Conflict("A retired tariff cannot be changed.")
    values = _values(prices)
    before = audit.snapshot(tariff, TARIFF_FIELDS)
    for key, value in values.items():
        setattr(tariff, key, value)
    db.session.flush()
    audit.log("tariff.update", "tariff", tariff.id, before, audit.snapshot(tariff, TARIFF_FIELDS))
    db.session.commit()
    return tariff


def stations_using(tariff: Tariff) -> list[Station]:
    """Stations in service that charge with this tariff."""
    return list(db.session.execute(select(Station).where(Station.tariff_id == tariff.id, Station.status != "retired")
                                   .order_by(Station.name)).scalars())


def retire_tariff(tariff: Tariff) -> Tariff:
    """Retire a tariff no active station uses; it stays on record for past sessions. Audited."""
    if tariff.retired:
        raise Conflict("This tariff is already retired.")
    users = stations_using(tariff)
    if users:
        raise Conflict(f"{tariff.name} is used by {', '.join(s.name for s in users)}; give them another tariff first.")
    before = audit.snapshot(tariff, TARIFF_FIELDS)
    tariff.retired = True
    audit.log("tariff.retire", "tariff", tariff.id, before, audit.snapshot(tariff, TARIFF_FIELDS))
    db.session.commit()
    return tariff


def active_tariffs() -> list[Tariff]:
    """Tariffs that may be chosen for a station."""
    return list(db.session.execute(select(Tariff).where(Tariff.retired.is_(False)).order_by(Tariff.name)).scalars())


def all_tariffs() -> list[Tariff]:
    """Every tariff, retired ones last."""
    return list(db.session.execute(select(Tariff).order_by(Tariff.retired, Tariff.name)).scalars())
