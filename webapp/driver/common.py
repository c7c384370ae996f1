"""Helpers shared by the driver views: turning a domain error into a message, loading a booking."""
from flask import abort, flash, jsonify, redirect, request
from flask_login import current_user
from markupsafe import Markup

from ..services.booking import bookings
from ..services.errors import DomainError, InvalidInput, NotFound


def wants_json() -> bool:
    """A JSON client (Accept: application/json) rather than a browser."""
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def fail(exc: DomainError, to: str):
    """Flash the error and go back (POST/redirect/GET); a JSON client gets the error with its status."""
    if wants_json():
        return jsonify({"error": {"code": exc.code, "message": exc.message, "details": exc.details}}), exc.status
    if exc.details.get("page"):  # the error has a page that resolves it (the balance to pay): link it
        flash(Markup('{} <a href="{}">Go to your balance</a>').format(exc.message, exc.details["page"]), "error")
    else:
        flash(exc.message, "error")
    return redirect(to, code=303)


def own_booking(booking_id: int, load=()):
    """The signed-in driver's booking (timers applied), or 404; `load` as in `bookings.get_for_user`."""
    try:
        booking = bookings.get_for_user(current_user, booking_id, load=load)
    except NotFound:
        abort(404)
    if booking.user_id != current_user.id:
        abort(404)
    return booking


def invalid(form) -> InvalidInput:
    """A form's first refusal as the error a JSON client gets (422, naming the field)."""
    for field in form:
        if field.errors:
            return InvalidInput(field.errors[0], {"field": field.name})
    return InvalidInput(form.first_error or "Check the form and try again.")


def refused(form, exc: DomainError, to: str, render):
    """A refusal about one of the form's fields goes next to it on the page `render(status)` draws again;
    anything else (the booking's state, a declined card, a JSON client) is `fail`."""
    name = str(exc.details.get("field") or "")
    if wants_json() or name not in form._fields or name == "csrf_token":
        return fail(exc, to)
    if exc.message not in form[name].errors:
        form.fail(exc)
    return render(exc.status)
