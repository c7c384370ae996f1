"""Maintenance windows for a station or a charger."""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import params
from ..auth.decorators import staff_required
from ..extensions import db
from ..services.fleet import hours, maintenance
from ..services.reports import monitoring
from ..services.errors import InvalidInput
from .blueprint import bp
from .access import charger_or_abort, station_or_abort, window_or_abort
from .common import PER_PAGE
from .forms.maintenance import WindowForm
from .forms.filters import MaintenanceFilterForm
from .forms.submit import button, submit


@bp.route("/maintenance", endpoint="maintenance")
@staff_required
def maintenance_list():
    """Maintenance windows at your stations, latest first."""
    form = MaintenanceFilterForm.from_args()
    query = maintenance.windows_query(monitoring.station_scope(current_user), form.filters()["state"])
    return render_template("admin/maintenance/list.html", form=form,
                           page=db.paginate(query, page=form.page_number, per_page=PER_PAGE, error_out=False))


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
    form = WindowForm(target=request.args.get("target", ""))
    stations = monitoring.visible_stations(current_user, include_retired=False)
    if request.method != "POST":
        return render_template("admin/maintenance/form.html", form=form, stations=stations)

    affected = []  # booked slots inside the window: listed for the operator to confirm

    def plan():
        station_id, charger_id, tz = _target(form.target.data)
        try:
            return maintenance.schedule(station_id, charger_id, hours.local_to_utc(form.starts_at.data, tz),
                                        hours.local_to_utc(form.ends_at.data, tz), form.reason.data or "",
                                        current_user.id, confirmed_slots=form.confirmed())
        except maintenance.SlotsOverlap as exc:
            affected.extend(exc.bookings)
            form.confirm_slots.data = ",".join(str(b.id) for b in exc.bookings)
            raise

    _, refused = submit(form, plan)
    if refused:
        return render_template("admin/maintenance/form.html", form=form, stations=stations,
                               affected=affected), refused
    flash("Maintenance window planned. It starts and ends on its own."
          + (" The booked slots inside it were cancelled, their payments released in full and their drivers "
             "notified." if form.confirmed() else ""), "success")
    return redirect(url_for("admin.maintenance"))


@bp.route("/maintenance/<int:window_id>/cancel", methods=["POST"])
@staff_required
def maintenance_cancel(window_id: int):
    """Call a window off; an active one ends now and the chargers become Operative again."""
    window = window_or_abort(window_id)
    return button(lambda: maintenance.cancel(window), "Maintenance window cancelled.", url_for("admin.maintenance"))
