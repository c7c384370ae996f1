"""The tariff form: name, currency and amounts typed in major units (the shared MoneyField)."""
from wtforms import StringField
from wtforms import ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from ...forms.base import Form
from ...forms.fields import MoneyField
from ...services.fleet.tariffs import CURRENCY, MAX_FREE_CANCEL_MINUTES, Prices
from .fields import Between, Choice, WholeNumber, stripped

NAME_RULE = "Name is required (at most 80 characters)."


class TariffForm(Form):
    """Create or edit a tariff; `prices()` hands the service integer minor units."""

    name = StringField("Name", [DataRequired(NAME_RULE), Length(max=80, message=NAME_RULE)],
                       filters=[stripped])
    currency = StringField("Currency", [Regexp(CURRENCY, message="Currency is a 3-letter ISO code such as INR.")],
                           filters=[stripped, lambda v: v.upper() if v else v], default="INR")
    price_per_kwh = MoneyField("Price per kWh", [InputRequired("Price per kWh is required.")])
    price_per_minute = MoneyField("Price per minute of charging")
    session_fee = MoneyField("Session fee")
    idle_fee_per_minute = MoneyField("Idle fee per minute after the exit grace")
    price_per_kwh_standard = MoneyField("Price per kWh, Standard charging")
    price_per_kwh_solar = MoneyField("Price per kWh, Solar charging")
    slot_free_cancel_minutes = WholeNumber("Free cancellation of a slot until (minutes before its start)",
                                           [Optional(), Between(0, MAX_FREE_CANCEL_MINUTES)], default=60)
    slot_payment = Choice("Booking a slot pre-authorises", choices=[SelectChoice("quota", "The quota's price"),
                                                                    SelectChoice("deposit", "A deposit")],
                          default="quota", message="Choose the quota's price or a deposit.")
    slot_deposit = MoneyField("Slot deposit")

    def validate_slot_deposit(self, field) -> None:
        if self.slot_payment.data == "deposit" and not field.data:
            raise ValidationError("Give the deposit a slot pre-authorises.")

    def prices(self) -> Prices:
        """The validated values (blank amounts are 0; a blank mode price is the Fast price; a blank free
        cancellation is 60 minutes)."""
        return Prices(name=self.name.data, currency=self.currency.data, price_per_kwh=self.price_per_kwh.data,
                      price_per_minute=self.price_per_minute.data or 0, session_fee=self.session_fee.data or 0,
                      idle_fee_per_minute=self.idle_fee_per_minute.data or 0,
                      price_per_kwh_standard=self.price_per_kwh_standard.data,
                      price_per_kwh_solar=self.price_per_kwh_solar.data,
                      slot_free_cancel_minutes=_or(self.slot_free_cancel_minutes.data, 60),
                      slot_payment=self.slot_payment.data or "quota", slot_deposit=self.slot_deposit.data or 0)


def _or(value, default):
    return default if value is None else value
