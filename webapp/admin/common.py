"""Small helpers the console views share: audit entries, form errors, paging, form parsing."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import flash, render_template, request
from flask_login import current_user

from .. import params
from ..services.platform import audit
from ..services.errors import DomainError

PER_PAGE = 50


def audit_action(action: str, target_type: str, target_id=None, before: dict | None = None,
                 after: dict | None = None):
    """Record a console action by the current user from this request's address."""
    return audit.record(current_user.id, action, target_type, target_id, before, after, client_ip())


def client_ip() -> str | None:
    """The client address as the app sees it (put ProxyFix in front when behind a proxy)."""
    return request.remote_addr


def form_error(template: str, exc: DomainError, **context):
    """Re-render a form with the error flashed and the matching status (422 for bad input, 409 ...)."""
    flash(exc.message, "error")
    return render_template(template, error_field=exc.details.get("field"), **context), exc.status


def page_number() -> int:
    """The ?page= argument (1 when missing or malformed)."""
    return max(1, params.int_arg("page", 1))


def arg_date(name: str) -> date | None:
    """A YYYY-MM-DD query argument; a malformed one is flashed and ignored."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        flash(f"{name.replace('_', ' ').capitalize()}: {raw!r} is not a date (YYYY-MM-DD); ignored.", "warning")
        return None


def station_time(value: datetime | None, tz_name: str) -> str:
    """'2025-06-01 14:30 IST': a UTC time on the station's wall clock (templates use it for windows)."""
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(tz_name)).strftime("%Y-%m-%d %H:%M %Z")
