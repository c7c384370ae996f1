"""Submitting a console form: validate it, then run the service; a refusal lands on the form."""
from collections.abc import Callable
from typing import TypeVar

from ...forms.base import Form
from ...services.errors import DomainError

T = TypeVar("T")


def submit(form: Form, action: Callable[[], T]) -> tuple[T | None, int | None]:
    """(what `action()` returned, None) when the form is valid and the service accepts it; else (None, the
    status to answer with: 422 for a bad field, or the DomainError's own), its messages next to the fields."""
    if not form.validate_on_submit():
        return None, 422
    try:
        return action(), None
    except DomainError as exc:
        return None, form.fail(exc).status
