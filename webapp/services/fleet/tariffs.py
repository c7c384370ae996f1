"""Tariffs: prices in integer minor units; a tariff in use is retired rather than deleted."""
import re

from sqlalchemy import select

from ...extensions import db
from ...models import Station, Tariff
from ...money import parse_money
from ..errors import Conflict, InvalidInput

CURRENCY = re.compile(r"^[A-Z]{3}$")
PRICE_FIELDS = (("price_per_kwh", "Price per kWh"), ("price_per_minute", "Price per minute"),
                ("session_fee", "Session fee"), ("idle_fee_per_minute", "Idle fee per minute"))


def parse_amount(text, field: str, label: str, required: bool = False) -> int:
    """'18', '18.5', '0,10' (major units) -> minor units (money.parse_money); raises InvalidInput naming the field."""
    if not str(text or "").strip() and not required:
        return 0
    return parse_money(text, field, label)


def tariff_values(data) -> dict:
    """Validate a tariff form (amounts in major units)."""
    name = str(data.get("name") or "").strip()
    if not name or len(name) > 80:
        raise InvalidInput("Name is required (at most 80 characters).", {"field": "name"})
    currency = str(data.get("currency") or "").strip().upper()
    if not CURRENCY.match(currency):
        raise InvalidInput("Currency is a 3-letter ISO code such as INR.", {"field": "currency"})
    values = {"name": name, "currency": currency}
    for field, label in PRICE_FIELDS:
        values[field] = parse_amount(data.get(field), field, label, required=field == "price_per_kwh")
    return values


def create_tariff(data) -> Tariff:
    """Create a tariff."""
    tariff = Tariff(**tariff_values(data))
    db.session.add(tariff)
    db.session.commit()
    return tariff


def update_tariff(tariff: Tariff, data) -> Tariff:
    """Change a tariff; the new prices apply to sessions priced from now on."""
    if tariff.retired:
        raise Conflict("A retired tariff cannot be changed.")
    for key, value in tariff_values(data).items():
        setattr(tariff, key, value)
    db.session.commit()
    return tariff


def stations_using(tariff: Tariff) -> list[Station]:
    """Stations in service that charge with this tariff."""
    return list(db.session.execute(select(Station).where(Station.tariff_id == tariff.id, Station.status != "retired")
                                   .order_by(Station.name)).scalars())


def retire_tariff(tariff: Tariff) -> Tariff:
    """Retire a tariff no active station uses; it stays on record for past sessions."""
    if tariff.retired:
        raise Conflict("This tariff is already retired.")
    users = stations_using(tariff)
    if users:
        raise Conflict(f"{tariff.name} is used by {', '.join(s.name for s in users)}; give them another tariff first.")
    tariff.retired = True
    db.session.commit()
    return tariff


def active_tariffs() -> list[Tariff]:
    """Tariffs that may be chosen for a station."""
    return list(db.session.execute(select(Tariff).where(Tariff.retired.is_(False)).order_by(Tariff.name)).scalars())


def all_tariffs() -> list[Tariff]:
    """Every tariff, retired ones last."""
    return list(db.session.execute(select(Tariff).order_by(Tariff.retired, Tariff.name)).scalars())
