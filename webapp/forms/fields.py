"""Fields shared by every form: money typed in major units, read into integer minor units; a bounded number
from the query string."""
from wtforms import Field, IntegerField, ValidationError
from wtforms.widgets import TextInput

from .. import params
from ..money import parse_money
from ..services.errors import InvalidInput


class MoneyField(Field):
    """An amount typed in major units ("18", "18.50", "1,234.50") whose `data` is integer minor units.

    Every money input of the product goes through this one field, so the same text parses the same way
    everywhere (`money.parse_money`: decimal comma or point, Indian or western grouping, ambiguous input
    refused). Blank is None (pair it with `DataRequired` or `InputRequired` where an amount is needed)."""
    widget = TextInput()

    def __init__(self, label=None, validators=None, minimum: int = 0, maximum: int | None = None, **kwargs):
        kwargs.setdefault("render_kw", {}).setdefault("inputmode", "decimal")
        super().__init__(label, validators, **kwargs)
        self.minimum, self.maximum = minimum, maximum

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        major, minor = divmod(int(self.data), 100)
        return f"{major}.{minor:02d}"

    def process_formdata(self, valuelist) -> None:
        self.data = None
        text = (valuelist[0] if valuelist else "") or ""
        if not str(text).strip():
            return
        try:
            self.data = parse_money(text, self.name, str(self.label.text))
        except InvalidInput as exc:
            raise ValueError(exc.message) from exc

    def pre_validate(self, form) -> None:
        if self.data is None:
            return
        if self.data < self.minimum:
            raise ValidationError(f"{self.label.text} must be at least {self.minimum / 100:.2f}.")
        if self.maximum is not None and self.data > self.maximum:
            raise ValidationError(f"{self.label.text} must be at most {self.maximum / 100:.2f}.")


class QueryNumber(IntegerField):
    """A bounded integer query argument that no one types (?page=, ?days=): blank or not a number is the
    default, silently; beyond [minimum, DB_INT_MAX] a 400."""

    def __init__(self, label=None, validators=None, minimum: int = 0, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.minimum = minimum

    def process_formdata(self, valuelist) -> None:
        value = params.bounded_int(valuelist[0] if valuelist else None, self.name, self.minimum)
        if value is not None:
            self.data = value
