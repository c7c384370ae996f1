"""Chargers: the live list, the detail page, editing, a new password, retiring."""
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..auth.decorators import staff_required
from ..fragments import page_or_fragment
from ..services.booking import slot_staff
from ..services.charging import smart
from ..services.errors import DomainError
from ..services.fleet import maintenance, provisioning, stations
from ..services.platform import audit
from ..services.reports import monitoring
from ..timeutil import utcnow
from .blueprint import bp
from .access import charger_or_abort
from .forms.chargers import ChargerEditForm, ChargerPasswordForm
from .forms.filters import MessageFilterForm, TimelineFilterForm
from .forms.submit import button, submit

def ocpp_url(charger) -> str:
    """ws(s)://host/ocpp/<id>: PUBLIC_URL when set, else the host this page was requested on."""
    base = current_app.config.get("PUBLIC_URL") or request.host_url
    base = base.rstrip("/").replace("https://", "wss://", 1).replace("http://", "ws://", 1)
    return f"{base}/ocpp/{charger.charge_point_id}"


@bp.route("/chargers")
@staff_required
def chargers():
    """Chargers with online/offline, connector status and last seen; the table refreshes itself."""
    return page_or_fragment("admin/chargers/list.html", "admin/chargers/_table.html", "charger-table",
                            chargers=monitoring.visible_chargers(current_user), now=utcnow())


@bp.route("/chargers/<int:charger_id>")
@staff_required
def charger_detail(charger_id: int):
    """Status, connectors, commands, configuration, status timeline and the recent OCPP messages."""
    charger = charger_or_abort(charger_id)
    timeline_form = TimelineFilterForm.from_args()
    return page_or_fragment(
        "admin/chargers/detail.html", "admin/chargers/_status.html", "charger-status", charger=charger, now=utcnow(),
        timeline=monitoring.charger_timeline(charger, kind=timeline_form.filters()["kind"]),
        timeline_form=timeline_form,
        messages=monitoring.recent_messages(charger, periodic=False), sessions=monitoring.charger_sessions(charger),
        windows=maintenance.windows_for_charger(charger), trail=audit.for_target("charger", charger.id),
        upcoming=slot_staff.upcoming_at_charger(charger),
        ocpp_url=ocpp_url(charger), plugs=stations.PLUG_TYPES,
        smart_caps=smart.caps(charger) if smart.capable(charger) else None)


@bp.route("/chargers/<int:charger_id>/messages")
@staff_required
def charger_messages(charger_id: int):
    """The recent OCPP frames, newest first (refreshes itself; filter by action; periodic Heartbeat and
    DataTransfer frames only when asked for)."""
    charger = charger_or_abort(charger_id)
    form = MessageFilterForm.from_args()
    filters = form.filters()
    action, limit = filters["action"], 200 if filters["all"] else 50
    return page_or_fragment("admin/chargers/messages.html", "admin/chargers/_messages.html", "ocpp-log",
                            charger=charger, action=action, form=form, filters=filters,
                            messages=monitoring.recent_messages(charger, limit=limit, action=action,
                                                                periodic=filters["periodic"]))


@bp.route("/chargers/<int:charger_id>/edit", methods=["GET", "POST"])
@staff_required
def charger_edit(charger_id: int):
    """Move a charger to another of your stations, change its heartbeat, reservations, registration."""
    charger = charger_or_abort(charger_id)
    form = ChargerEditForm.for_charger(charger, monitoring.visible_stations(current_user, include_retired=False))
    if request.method != "POST":
        return render_template("admin/chargers/edit.html", charger=charger, form=form)
    _, refused = submit(form, lambda: stations.update_charger(
        charger, station_id=form.station_id.data, heartbeat_interval=form.heartbeat_interval.data,
        supports_reservation=form.supports_reservation.data, registration_status=form.registration_status.data,
        allowed_station_ids=monitoring.station_scope(current_user)))
    if refused:
        return render_template("admin/chargers/edit.html", charger=charger, form=form), refused
    flash(f"Charger {charger.charge_point_id} saved.", "success")
    return redirect(url_for("admin.charger_detail", charger_id=charger.id))


@bp.route("/chargers/<int:charger_id>/password", methods=["POST"])
@staff_required
def charger_password(charger_id: int):
    """Generate a new OCPP password (an online charger is sent it first); it is shown once, on this answer only."""
    charger = charger_or_abort(charger_id)
    try:
        rotation = provisioning.rotate(charger)
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("admin.charger_detail", charger_id=charger_id))
    return render_template("admin/chargers/credentials.html", charger=charger, password=rotation.password,
                           answer=rotation.answer, ocpp_url=ocpp_url(charger), fresh=False)


@bp.route("/chargers/<int:charger_id>/password/set", methods=["GET", "POST"])
@staff_required
def charger_password_set(charger_id: int):
    """Set the password a charger's firmware came with (16-20 characters); never echoed or audited."""
    charger = charger_or_abort(charger_id)
    form = ChargerPasswordForm()
    if request.method != "POST":
        return render_template("admin/chargers/set_password.html", charger=charger, form=form)
    _, refused = submit(form, lambda: stations.set_charger_password(charger, form.password.data))
    if refused:
        return render_template("admin/chargers/set_password.html", charger=charger, form=form), refused
    flash(f"Password set for {charger.charge_point_id}; the old one no longer works.", "success")
    return redirect(url_for("admin.charger_detail", charger_id=charger.id))


@bp.route("/chargers/<int:charger_id>/retire", methods=["POST"])
@staff_required
def charger_retire(charger_id: int):
    """Take a charger out of service; bookings not started are cancelled, running ones force-finished."""
    charger = charger_or_abort(charger_id)
    return button(lambda: stations.retire_charger(charger), lambda done: (
        f"Charger {charger.charge_point_id} retired; {done[0]} booking(s) cancelled and refunded, "
        f"{done[1]} session(s) force-finished from their last reading."),
        url_for("admin.charger_detail", charger_id=charger.id))


@bp.route("/chargers/<int:charger_id>/reinstate", methods=["POST"])
@staff_required
def charger_reinstate(charger_id: int):
    """Bring a retired charger back into service."""
    charger = charger_or_abort(charger_id)
    return button(lambda: stations.reinstate_charger(charger), f"Charger {charger.charge_point_id} is back in service.",
                  url_for("admin.charger_detail", charger_id=charger.id))
