"""Number and choice fields with the console's messages ("Latitude must be a number", "... must be between 1 and 8")."""
import math

from wtforms import DateTimeLocalField, FloatField, SelectField, ValidationError


class Number(FloatField):
    """A decimal number; text that is not one says so next to the field. Blank is None."""

    def process_formdata(self, valuelist) -> None:
        self.data = None
        raw = (valuelist[0] if valuelist else "") or ""
        if not raw.strip():
            return
        try:
            self.data = float(raw)
        except ValueError as exc:
            raise ValueError(f"{self.label.text} must be a number.") from exc


class WholeNumber(Number):
    """A whole number ("2", not "1.5")."""

    def process_formdata(self, valuelist) -> None:
        super().process_formdata(valuelist)
        if self.data is None or not math.isfinite(self.data):
            return  # NaN and infinities are left for Between to refuse
        if self.data != int(self.data):
            self.data = None
            raise ValueError(f"{self.label.text} must be a whole number.")
        self.data = int(self.data)


class Filled:
    """"<label> is required." when a number field is blank (unreadable text already says why)."""

    def __call__(self, form, field) -> None:
        if field.data is None and not field.errors:
            raise ValidationError(f"{field.label.text} is required.")


class Between(Filled):
    """`low <= value <= high` (NaN and infinities fail); blank is "required" (put `Optional()` first where
    blank is allowed: it stops the chain before this)."""

    def __init__(self, low: float, high: float):
        self.low, self.high = low, high

    def __call__(self, form, field) -> None:
        super().__call__(form, field)
        if field.data is None:
            return
        if not (math.isfinite(field.data) and self.low <= field.data <= self.high):
            raise ValidationError(f"{field.label.text} must be between {self.low:g} and {self.high:g}.")


class _OwnMessage:
    """A field that answers unreadable input with its own `message` instead of WTForms' generic one."""

    def __init__(self, label=None, validators=None, message: str = "", **kwargs):
        super().__init__(label, validators, **kwargs)
        self.message = message

    def process_formdata(self, valuelist) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(self.message or str(exc)) from exc


class Choice(_OwnMessage, SelectField):
    """A select whose refusal says what it wants (`message`), instead of "Not a valid choice"."""

    def pre_validate(self, form) -> None:
        if self.process_errors:
            return
        try:
            super().pre_validate(form)
        except ValidationError as exc:
            raise ValidationError(self.message or str(exc)) from exc


class LocalDateTime(_OwnMessage, DateTimeLocalField):
    """A datetime-local input (the station's wall clock, naive); unreadable or blank: `message`."""

    def __init__(self, label=None, validators=None, message: str = "", **kwargs):
        kwargs.setdefault("format", ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"])
        super().__init__(label, validators, message, **kwargs)

    def pre_validate(self, form) -> None:
        if self.data is None and not self.process_errors:
            raise ValidationError(self.message)


def stripped(value):
    """A filter: text without the spaces around it."""
    return value.strip() if isinstance(value, str) else value
