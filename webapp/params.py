"""Numbers and text from requests, bounded before they reach a query: a hostile value is a 400, never a 500.

Every integer a request carries (a path id, ?page=, a filter, a form field, a number typed into a search)
goes through `bounded_int` (a path's `<int:...>` through the check in `register`), every float through `finite_float`; a
NUL byte anywhere in a request is refused before any view runs (PostgreSQL text cannot hold one).
"""
import math
import re

from flask import Flask, Request, request
from werkzeug.exceptions import BadRequest, NotFound

#: PostgreSQL `integer`, the type of every id column: SQLite would take up to 2**63 - 1, PostgreSQL not.
DB_INT_MAX = 2 ** 31 - 1
_INTEGER = re.compile(r"[+-]?[0-9]{1,30}")  # ASCII digits only: str.isdigit() also says yes to "²"


def bounded_int(raw, name: str = "value", minimum: int = 0, maximum: int = DB_INT_MAX) -> int | None:
    """The integer in `raw` (text or int); None when it is blank or not an integer; BadRequest (400) when it
    is one outside [minimum, maximum]."""
    if isinstance(raw, bool) or raw is None:
        return None
    text = raw if isinstance(raw, str) else str(raw)
    text = text.strip()
    if not _INTEGER.fullmatch(text):
        return None
    value = int(text)
    if not minimum <= value <= maximum:
        raise BadRequest(f"{name}: {text[:30]} is out of range ({minimum} to {maximum}).")
    return value


def id_in(text: str | None) -> int | None:
    """A search box's "42" or "#42" as an id; None for anything else (a 20-digit number is text to search)."""
    text = (text or "").strip().lstrip("#")
    try:
        return bounded_int(text, minimum=1)
    except BadRequest:
        return None


def finite_float(raw, name: str, minimum: float, maximum: float) -> float | None:
    """The number in `raw`; None when blank or not a number; BadRequest (400) for inf, nan or a value outside
    [minimum, maximum]."""
    text = str(raw if raw is not None else "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    if not math.isfinite(value) or not minimum <= value <= maximum:
        raise BadRequest(f"{name}: {text[:30]} is out of range ({minimum:g} to {maximum:g}).")
    return value


def int_arg(name: str, default: int | None = None, minimum: int = 0, maximum: int = DB_INT_MAX,
            source=None) -> int | None:
    """A bounded integer query argument (or form field, with `source=request.form`); `default` when blank or
    not a number."""
    value = bounded_int((source if source is not None else request.args).get(name), name, minimum, maximum)
    return default if value is None else value


#: Blueprints that check their own path ids, after authentication (api/contract.py's `endpoint`).
_OWN_ID_CHECKS = ("api.", "device.")


def _has_nul(req: Request) -> bool:
    """A NUL in the path, a query argument, the Basic credentials or the body (raw, %00 or \\u0000). The body is
    read raw and cached, so the view still parses it as usual."""
    if "\x00" in req.path or any("\x00" in k or "\x00" in v for k, v in req.args.items(multi=True)):
        return True
    auth = req.authorization
    if auth is not None and any("\x00" in (part or "") for part in (auth.username, auth.password, auth.token)):
        return True
    if not req.content_length:
        return False
    body = req.get_data(cache=True)
    if b"\x00" in body:
        return True
    if req.mimetype == "application/x-www-form-urlencoded":
        return b"%00" in body
    return req.is_json and b"\\u0000" in body.lower()


def register(app: Flask) -> None:
    """Bound `<int:...>` URL arguments (404 beyond an id column) and refuse NUL bytes (400)."""

    @app.url_value_preprocessor
    def bound_path_ids(endpoint, values):
        if not values or (endpoint or "").startswith(_OWN_ID_CHECKS):
            return
        if any(isinstance(v, int) and not isinstance(v, bool) and abs(v) > DB_INT_MAX for v in values.values()):
            raise NotFound()

    @app.before_request
    def refuse_nul_bytes():
        if _has_nul(request):
            raise BadRequest("NUL bytes are not allowed in a request.")
