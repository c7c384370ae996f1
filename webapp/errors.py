"""Styled error pages for people: 400/403/404/405/500 in the driver's or the console's layout, with a way back.

Registered on the app before the API's own fallbacks (api/errors.py chains to these), so a path under /api or
/device still answers JSON, and a JSON client of a driver page (Accept: application/json) gets the error body.
"""
import logging

from flask import Flask, jsonify, render_template, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)

#: What each page says, and what to do next.
PAGES = {
    400: ("That request did not make sense", "Something in the link or the form was not what Chargeway expected. "
          "Go back and try again; if you followed a link, it may be damaged."),
    403: ("This page is not for your account", "You are signed in, but this page belongs to another role or "
          "another driver. Go back, or sign in with the account that can open it."),
    404: ("We could not find that page", "The link may be old, or the booking, station or charger may have been "
          "removed. Check the address, or start again from the home page."),
    405: ("That action does not work here", "This address does not accept that kind of request. Go back and use "
          "the page's own buttons."),
    500: ("Something went wrong on our side", "The error was logged and nothing you did caused it. Your booking "
          "and any running charge are not affected. Try again in a minute."),
}
CODES = tuple(PAGES)


def console_request() -> bool:
    """The console's pages (and its unrouted paths) get the console layout, for staff only."""
    return request.path.startswith("/admin") and current_user.is_authenticated and current_user.is_staff


def _json_client() -> bool:
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def render_error(exc: HTTPException):
    """The page for `exc`: its status, what happened, what to do, and links back."""
    code = exc.code if exc.code in PAGES else 500
    if code == 500:
        original = getattr(exc, "original_exception", None)
        log.error("%s %s failed: %s", request.method, request.path, original or exc, exc_info=original)
    title, advice = PAGES[code]
    if _json_client():
        return jsonify({"error": {"code": exc.name.lower().replace(" ", "_"), "message": title, "details": {}}}), code
    layout = "admin/layout.html" if console_request() else "driver/layout.html"
    home = "/admin/" if console_request() else "/"
    response = render_template("errors/error.html", layout=layout, code=code, title=title, advice=advice, home=home,
                               detail=exc.description if code in (400, 403) and _own_description(exc) else None)
    return response, code


def _own_description(exc: HTTPException) -> bool:
    """Only a description a view wrote on purpose (abort(403, "...")) is shown, never werkzeug's default."""
    default = type(exc).description
    return bool(exc.description) and exc.description != default


def register(app: Flask) -> None:
    """App-level handlers per status code (blueprints' own handlers, such as the API's, still come first)."""
    for code in CODES:
        app.register_error_handler(code, render_error)
    app.register_error_handler(InternalServerError, render_error)
