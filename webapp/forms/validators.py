"""Validators shared by forms that wrap a service's own check, so the form and the service say the same thing."""
from wtforms import ValidationError

from ..services.errors import InvalidInput


class ServiceCheck:
    """Run `check(value)` (a service function raising InvalidInput) and show its message on the field."""

    def __init__(self, check):
        self.check = check

    def __call__(self, form, field) -> None:
        try:
            self.check(field.data)
        except InvalidInput as exc:
            raise ValidationError(exc.message) from exc


def strip(value):
    """Filter: text without blanks at either end (None stays None)."""
    return value.strip() if isinstance(value, str) else value
