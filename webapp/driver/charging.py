"""Arrive and charge: the page a connector's QR code opens, the typed-id fallback, start, live, stop."""
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..auth.decorators import staff_required
from ..extensions import db
from ..fragments import page_or_fragment
from ..models import Connector
from ..services.booking import bookings, scan
from ..services.charging import session_summary
from ..services.fleet import qr
from ..services.errors import DomainError
from .blueprint import bp
from .common import fail, invalid, own_booking
from .forms import TypedChargerForm

LIVE = ("CONFIRMED", "CHARGING", "FINISHING", "OVERSTAY")


@bp.route("/c/<token>")
@login_required
def charger_page(token: str):
    """What a scanned QR code opens: the connector, your booking for it, and Start charging."""
    try:
        result = scan.check(current_user, token)
    except DomainError as exc:
        return render_template("driver/charging/bad_code.html", message=exc.message), exc.status
    return render_template("driver/charging/charger.html", scan=result, token=token,
                           station=result.connector.charger.station)


@bp.route("/c/<token>/start", methods=["POST"])
@login_required
def start(token: str):
    """Start charging: RemoteStartTransaction unlocks the door; StartTransaction makes the booking CHARGING."""
    try:
        booking = scan.start(current_user, token)
    except DomainError as exc:
        return fail(exc, url_for("driver.charger_page", token=token))
    # No flash: the live session says the door is unlocked only while it waits for the car (it goes at Charging).
    return redirect(url_for("driver.live", booking_id=booking.id), code=303)


@bp.route("/scan")
@login_required
def scan_page():
    """Scan the charger's QR code with the phone's camera, inside the app (typing the id is the fallback)."""
    return render_template("driver/charging/scan.html")


@bp.route("/charge")
@login_required
def typed():
    """No camera? Type the charger id printed on the charger: it opens the same page as the QR code."""
    form = TypedChargerForm(request.args)
    if not request.args.get("charger"):
        return render_template("driver/charging/typed.html", form=TypedChargerForm(formdata=None))
    try:
        if not form.validate():
            raise invalid(form)
        connector = qr.parse_typed(form.charger.data, str(form.connector.data))
    except DomainError as exc:
        if not form.errors:  # not about what was typed (no such charger): said above the form
            flash(exc.message, "error")
        return render_template("driver/charging/typed.html", form=form), exc.status
    return redirect(url_for("driver.charger_page", token=qr.token_for(connector)))


@bp.route("/bookings/<int:booking_id>/live")
@login_required
def live(booking_id: int):
    """The live session; its fragment polls while the booking is live and stops (286) when it ends."""
    booking = own_booking(booking_id, load=session_summary.LIVE_LOAD)
    return page_or_fragment("driver/charging/live.html", "driver/charging/_live.html", "live-session",
                            stop_polling=booking.status not in LIVE, booking=booking,
                            live=session_summary.live(booking), station=booking.connector.charger.station)


@bp.route("/bookings/<int:booking_id>/stop", methods=["POST"])
@login_required
def stop(booking_id: int):
    """Stop charging from the phone: RemoteStopTransaction."""
    own_booking(booking_id)
    back = url_for("driver.live", booking_id=booking_id)
    try:
        bookings.stop_charging(current_user, booking_id)
    except DomainError as exc:
        return fail(exc, back)
    flash("Stopping the charge. Unplug and close the door when the charger says so.", "success")
    return redirect(back, code=303)


@bp.route("/qr/<int:connector_id>.svg")
@staff_required
def qr_svg(connector_id: int):
    """The QR code (SVG) for one connector, for staff to print and stick on the charger."""
    connector = db.session.get(Connector, connector_id)
    if connector is None:
        abort(404)
    station = connector.charger.station
    if station is not None and not current_user.can_manage(station):
        abort(403)
    svg = qr.svg_for_connector(connector, request.host_url)
    return Response(svg, mimetype="image/svg+xml",
                    headers={"Content-Disposition": f'inline; filename="{connector.charger.charge_point_id}'
                                                    f'-{connector.connector_id}.svg"'})
