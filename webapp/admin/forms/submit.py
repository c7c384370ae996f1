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


def button(action: Callable[[], T], done: str | Callable[[T], str], back: str):
    """A state change from a button with no fields (retire, reinstate, cancel, remove): run it, flash its
    refusal or what it did (`done`, or `done(result)`), and go back to `back`."""
    from flask import flash, redirect  # noqa: PLC0415 - views only

    try:
        result = action()
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(done(result) if callable(done) else done, "success")
    return redirect(back)
