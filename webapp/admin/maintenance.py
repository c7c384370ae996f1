"""Maintenance windows for a station or a charger."""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import params
from ..auth.decorators import staff_required
from ..extensions import db
from ..models import MaintenanceWindow
from ..services.fleet import maintenance
from ..services.platform import audit
from ..services.reports import monitoring
from ..services.errors import DomainError, InvalidInput
from .blueprint import bp
from .access import charger_or_abort, station_or_abort, window_or_abort
from .common import PER_PAGE, audit_action, form_error, local_datetime, page_number

WINDOW_FIELDS = ("station_id", "charger_id", "starts_at", "ends_at", "reason", "state")


@bp.route("/maintenance", endpoint="maintenance")
@staff_required
def maintenance_list():
    """Maintenance windows at your stations, latest first."""
    state = request.args.get("state", "")
    query = maintenance.windows_query(monitoring.station_scope(current_user), state)
    return render_template("admin/maintenance/list.html", state=state,
                           page=db.paginate(query, page=page_number(), per_page=PER_PAGE, error_out=False))


def _target(raw: str) -> tuple[int | None, int | None, str]:
    """'station:3' or 'charger:7' -> (station id, charger id, timezone), checked against your stations (403/404)."""
    kind, _, number = (raw or "").partition(":")
    target_id = params.bounded_int(number, "target")
    if target_id is None or kind not in ("station", "charger"):
        raise InvalidInput("Choose a station or a charger.", {"field": "target"})
    if kind == "station":
        station = station_or_abort(target_id)
        return station.id, None, station.timezone
    charger = charger_or_abort(target_id)
    return None, charger.id, charger.station.timezone


@bp.route("/maintenance/new", methods=["GET", "POST"])
@staff_required
def maintenance_new():
    """Plan a window (times in the station's timezone): at its start bookings are cancelled and refunded."""
    context = {"stations": monitoring.visible_stations(current_user, include_retired=False),
               "target": request.values.get("target", "")}
    if request.method == "POST":
        try:
            station_id, charger_id, tz = _target(request.form.get("target", ""))
            window = maintenance.schedule(station_id, charger_id,
                                          local_datetime(request.form.get("starts_at", ""), tz, "Start"),
                                          local_datetime(request.form.get("ends_at", ""), tz, "End"),
                                          request.form.get("reason", "").strip(), current_user.id)
        except DomainError as exc:
            return form_error("admin/maintenance/form.html", exc, form=request.form, **context)
        audit_action("maintenance.schedule", "maintenance_window", window.id, None,
                     audit.snapshot(window, WINDOW_FIELDS))
        flash("Maintenance window planned. It starts and ends on its own.", "success")
        return redirect(url_for("admin.maintenance"))
    return render_template("admin/maintenance/form.html", form=None, **context)


@bp.route("/maintenance/<int:window_id>/cancel", methods=["POST"])
@staff_required
def maintenance_cancel(window_id: int):
    """Call a window off; an active one ends now and the chargers become Operative again."""
    window = window_or_abort(window_id)
    before = audit.snapshot(window, WINDOW_FIELDS)
    try:
        maintenance.cancel(window)
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("admin.maintenance"))
    window = db.session.get(MaintenanceWindow, window_id)
    audit_action("maintenance.cancel", "maintenance_window", window.id, before, audit.snapshot(window, WINDOW_FIELDS))
    flash("Maintenance window cancelled.", "success")
    return redirect(url_for("admin.maintenance"))
