"""The driver's booking and charging forms: holding (or moving to) a connector, choosing a quota and paying,
the typed charger id, rating a station, the history tabs. Views validate them, then pass their typed values to the booking
services; what only a service can know (the tariff, the booking's state) comes back through `form.fail`."""
import math
from datetime import datetime

from wtforms import Field, HiddenField, IntegerField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Regexp, ValidationError
from wtforms.widgets import NumberInput

from ..forms.base import Form
from ..forms.fields import MoneyField, QueryNumber
from ..services.reports import history

STALE = "This payment form is out of date. Reload the page and pay again."
METHODS = [SelectChoice("card", "Card"), SelectChoice("upi", "UPI"), SelectChoice("wallet", "Wallet")]
MODES = [SelectChoice("fast", "Fast"), SelectChoice("standard", "Standard"), SelectChoice("solar", "Solar")]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class NumberChoice(IntegerField):
    """A whole number picked on the page (a button's value, a star): an unreadable one gets `message`, the
    field's own words, rather than WTForms' "Not a valid integer value"."""

    def __init__(self, label=None, message: str = "", **kwargs):
        super().__init__(label, [] if kwargs.get("default") is not None else [InputRequired(message)], **kwargs)
        self.message = message

    def process_formdata(self, valuelist) -> None:
        if valuelist and not str(valuelist[0]).strip() and self.default is not None:
            self.data = self.default  # left blank: the value the page offered
            return
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(self.message) from None


class ConnectorForm(Form):
    """Hold a connector, or move a booking to another one."""
    connector_id = NumberChoice("Connector", "Choose a connector to book.")


class KwhField(Field):
    """An energy typed in kWh ("15", "15.5"): a finite float, or None when blank."""
    widget = NumberInput(step="0.1")

    def _value(self) -> str:
        return self.raw_data[0] if self.raw_data else ("" if self.data is None else f"{self.data:g}")

    def process_formdata(self, valuelist) -> None:
        self.data = None
        text = _strip(valuelist[0] if valuelist else "") or ""
        if not text:
            return
        try:
            value = float(text.replace(",", "."))
        except ValueError:
            raise ValueError("Type a number of kWh, e.g. 15.") from None
        if not math.isfinite(value):
            raise ValueError("Type a number of kWh, e.g. 15.")
        self.data = value


class QuotaForm(Form):
    """What the driver buys: a preset (its kWh as the value), another amount of energy, or an amount of money."""
    quota = StringField("How much energy?", filters=[_strip],
                        validators=[DataRequired("Choose how much energy to buy.")])
    custom_kwh = KwhField("Energy in kWh")
    amount = MoneyField("Amount", minimum=1)
    charging_mode = RadioField("Charging mode", choices=MODES, default="fast",
                               invalid_choice_message="Choose Fast, Standard or Solar.")
    solar_floor_kw = KwhField("Solar floor in kW")

    def validate_quota(self, field) -> None:
        if field.data not in ("kwh", "amount") and self.preset_kwh() is None:
            raise ValidationError("Choose how much energy to buy.")

    def validate_custom_kwh(self, field) -> None:
        if self.quota.data == "kwh" and field.data is None and not field.errors:
            raise ValidationError("Type the energy in kWh, e.g. 15.")

    def validate_amount(self, field) -> None:
        if self.quota.data == "amount" and field.data is None and not field.errors:
            raise ValidationError("Type the amount to spend, e.g. 500.")

    def preset_kwh(self) -> float | None:
        try:
            value = float(self.quota.data or "")
        except ValueError:
            return None
        return value if math.isfinite(value) else None

    def mode(self) -> dict:
        """The charging mode for the booking services: {"mode": ..., "floor_kw": ...}."""
        return {"mode": self.charging_mode.data or "fast", "floor_kw": self.solar_floor_kw.data}

    def choice(self) -> dict:
        """The quota and mode for `quotas.resolve`: {"kwh": ..., "field": ...} or {"amount": minor units}."""
        if self.quota.data == "amount":
            return {"amount": self.amount.data, **self.mode()}
        if self.quota.data == "kwh":
            return {"kwh": self.custom_kwh.data, "field": "custom_kwh", **self.mode()}
        return {"kwh": self.preset_kwh(), "field": "quota", **self.mode()}


class PayForm(QuotaForm):
    """The pay page: the quota, how to pay, and the one-time key that makes a double submit charge once."""
    method = RadioField("Pay with", choices=METHODS, invalid_choice_message="Choose card, UPI or wallet.")
    details = StringField("Card number, UPI id or wallet phone", filters=[_strip],
                          validators=[DataRequired("Enter the card number, UPI id or wallet phone.")])
    idempotency_key = HiddenField(validators=[Regexp(r"^[A-Za-z0-9]{16,40}$", message=STALE)])


class RateForm(Form):
    """1 to 5 stars for the station, after a completed session."""
    stars = NumberChoice("Stars", "Choose from 1 to 5 stars.")

    def validate_stars(self, field) -> None:
        if field.data is not None and not 1 <= field.data <= 5:
            raise ValidationError(field.message)


class TypedChargerForm(Form):
    """No camera: the charger id printed on the charger and the connector number (a GET form, no CSRF)."""

    class Meta:
        csrf = False

    charger = StringField("Charger id", filters=[_strip],
                          validators=[DataRequired("Type the charger id printed on the charger.")])
    connector = NumberChoice("Connector number", "The connector number must be a whole number, such as 1.",
                             default=1)


class ChangeForm(Form):
    """A charging session's change, confirmed: the mode (and Solar floor), the quota, and the one-time key
    that makes a double submit top up once."""
    charging_mode = RadioField("Charging mode", choices=MODES, invalid_choice_message="Choose Fast, Standard or Solar.")
    quota_kwh = KwhField("Quota in kWh")
    solar_floor_kw = KwhField("Solar floor in kW")
    idempotency_key = HiddenField(validators=[Regexp(r"^[A-Za-z0-9]{16,40}$", message=STALE)])

    def change(self) -> dict:
        """The change for `services.booking.changes`: mode, quota and floor (None: keep as it is)."""
        return {"mode": self.charging_mode.data or None, "quota_kwh": self.quota_kwh.data,
                "floor_kw": self.solar_floor_kw.data}


class ChangePreviewForm(ChangeForm):
    """The change as the driver chooses it (a GET that changes nothing: no CSRF, no key)."""

    class Meta:
        csrf = False

    idempotency_key = None


class HistoryForm(Form):
    """The history page's tab and page (links, a GET form, no CSRF): an unknown tab is refused."""

    class Meta:
        csrf = False

    filter = SelectField("Show", choices=list(history.FILTERS), default="all-time",
                         invalid_choice_message="Unknown filter: use recent, this-month or all-time.")
    page = QueryNumber("Page", default=1)

    @property
    def page_number(self) -> int:
        return max(1, self.page.data or 1)


class SlotForm(Form):
    """A slot booked ahead: one free start on one connector (the timeline's radio value "<connector id>@<UTC
    ISO start>") and the slot's length in minutes (the length the timeline was drawn for)."""
    slot_time = StringField("Start", filters=[_strip], validators=[DataRequired("Choose a free start time.")])
    duration_minutes = NumberChoice("Minutes", "The slot length must be a whole number of minutes.", default=60)

    def validate_slot_time(self, field) -> None:
        if self.choice() is None:
            raise ValidationError("Choose a free start time.")

    def choice(self) -> tuple[int, datetime] | None:
        """(connector id, UTC start), or None when the value is not one the timeline offers."""
        connector, _, start = (self.slot_time.data or "").partition("@")
        try:
            when = datetime.fromisoformat(start.replace("Z", "+00:00"))
            return (int(connector), when) if when.tzinfo is not None else None
        except ValueError:
            return None
