"""Charging sessions: a searchable list and the detail with its energy and power chart."""
from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from ..auth.decorators import staff_required
from ..extensions import db
from ..fragments import page_or_fragment
from ..services.charging import interventions
from ..services.platform import audit
from ..services.reports import records
from . import clock, svg
from .blueprint import bp
from .access import session_or_abort
from .common import PER_PAGE
from .forms.filters import SessionFilterForm


@bp.route("/sessions")
@staff_required
def sessions():
    """Sessions at your stations: search by transaction id, driver, idTag, charger; filter by state and dates."""
    form = SessionFilterForm.from_args(records.stations_for_filter(current_user))
    query = records.sessions_query(current_user, **form.filters(), zone=clock.console_zone())
    return render_template("admin/sessions/list.html", form=form,
                           page=db.paginate(query, page=form.page_number, per_page=PER_PAGE, error_out=False))


def charts(session) -> dict:
    """The energy and power (and SoC) charts of a session, as inline SVG."""
    series, zone = records.meter_series(session), clock.zone_for(session)
    return {"energy_chart": svg.line_chart([("Energy delivered", series["energy"], "s-energy")],
                                           f"Energy of session {session.id}", "kWh", zone=zone),
            "power_chart": svg.line_chart([("Power", series["power"], "s-power")],
                                          f"Power of session {session.id}", "kW", zone=zone),
            "soc_chart": svg.line_chart([("State of charge", series["soc"], "s-soc")],
                                        f"State of charge of session {session.id}", "%", zone=zone) if series["soc"] else None}


@bp.route("/sessions/<int:session_id>")
@staff_required
def session_detail(session_id: int):
    """A session: figures, charts; while it runs the live part refreshes itself, then stops polling."""
    session = session_or_abort(session_id)
    return page_or_fragment("admin/sessions/detail.html", "admin/sessions/_live.html", "session-live",
                            stop_polling=not session.is_active, session=session,
                            trail=audit.for_target("session", session.id), **charts(session))


@bp.route("/sessions/<int:session_id>/stop", methods=["POST"])
@staff_required
def session_stop(session_id: int):
    """RemoteStopTransaction for a running session."""
    session = session_or_abort(session_id)
    if not session.is_active:
        flash(f"Session {session_id} has already ended.", "error")
        return redirect(url_for("admin.session_detail", session_id=session_id))
    accepted = interventions.stop_session(session_id, "stopped by operator")  # audited by the service
    if accepted:
        flash("The charger accepted the stop; the session ends when it sends StopTransaction.", "success")
    elif accepted is None:
        flash("A stop was sent moments ago; it is repeated until the charger confirms.", "info")
    else:
        flash("The charger did not accept the stop (see its timeline for why).", "error")
    return redirect(url_for("admin.session_detail", session_id=session_id))
