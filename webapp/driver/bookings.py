"""Hold and pay: book a free connector, see the countdown, choose a quota and pay, or cancel."""
import uuid

from flask import flash, jsonify, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..extensions import db
from ..fragments import page_or_fragment, wants_fragment
from ..models import Connector
from ..money import format_money
from ..services.booking import bookings, modes, quotas, reservations, slot_cancel, slot_gaps, slot_pay
from ..services.errors import DomainError, InvalidInput
from ..timeutil import iso
from .blueprint import bp
from .common import fail, invalid, own_booking, refused, wants_json
from .forms import ConnectorForm, PayForm, QuotaForm

WATCHED = ("HELD", "CONFIRMED", "SCHEDULED")
#: Where a refused ReserveNow is the driver's to act on (take another connector or cancel before the countdown
#: ends); a booked slot's reservation ahead is sent again at its start (services/booking/slot_life.py).
REFUSAL_SHOWN = ("HELD", "CONFIRMED")


def watch_every(booking) -> str:
    """How often the watcher asks: every few seconds while a countdown runs; a booked slot only needs to see
    its start (CONFIRMED: scan the QR code) or its cancellation within a few seconds of the moment."""
    return "15s" if booking.status == "SCHEDULED" else "3s"


def payment_key(booking, key: str) -> str:
    """The form's one-time key, scoped to the driver and booking so it can never match anyone else's payment."""
    return f"web:{booking.user_id}:{booking.id}:{key}"


@bp.route("/bookings", methods=["POST"])
@login_required
def create_booking():
    """Hold a connector: a HELD booking with a countdown, or a clear reason why not."""
    form = ConnectorForm()
    connector = db.session.get(Connector, form.connector_id.data) if form.connector_id.data else None
    back = (url_for("driver.station", station_id=connector.charger.station_id)
            if connector is not None and connector.charger.station_id else url_for("driver.home"))
    try:
        if not form.validate_on_submit():
            raise invalid(form)
        booking = bookings.place_hold(current_user, form.connector_id.data)
    except DomainError as exc:
        return fail(exc, back)  # the connector is a button's hidden value: the station page says why
    if wants_json():
        return jsonify({"id": booking.id, "status": booking.status,
                        "holdExpiresAt": iso(booking.hold_expires_at)}), 201
    flash(f"{booking.connector.label} is held for you. Pay before the countdown ends.", "success")
    return redirect(url_for("driver.booking", booking_id=booking.id), code=303)


def _show(booking, pay_form: PayForm | None = None, status: int = 200):
    """The booking at its current step; after a refused payment, the pay form as typed with its messages."""
    presets = quotas.presets(booking) if booking.status in ("HELD", "SLOT_HELD") else []
    offers = modes.offers(booking, quotas.PRESETS_KWH[1]) if booking.status == "HELD" else []
    gap = slot_gaps.hold_limit(booking) if booking.status == "HELD" else None
    if gap is not None:
        presets = [(kwh, amount) for kwh, amount in presets if kwh <= gap[1]]
    refused_here = booking.status in REFUSAL_SHOWN and booking.reservation_refused
    return page_or_fragment("driver/bookings/show.html", "driver/bookings/_watch.html", "booking-watch",
                            status=status, booking=booking, presets=presets, offers=offers, idempotency_key=uuid.uuid4().hex,
                            pay_form=pay_form or PayForm(formdata=None), station=booking.connector.charger.station,
                            watched=booking.status in WATCHED, watch_key=watch_key(booking), refused=refused_here,
                            watch_every=watch_every(booking),
                            alternatives=reservations.alternatives(booking) if refused_here else [],
                            gap=gap, cancel_terms=slot_cancel.terms(booking),
                            deposit=slot_pay.deposit_of(booking) if booking.slot_start is not None else None)


@bp.route("/bookings/<int:booking_id>")
@login_required
def booking(booking_id: int):
    """The booking at its current step; its watcher sends the page on when the status changes."""
    booking = own_booking(booking_id)
    if wants_fragment("booking-watch") and request.args.get("seen") != watch_key(booking):
        response = make_response("", 200)
        response.headers["HX-Redirect"] = url_for("driver.booking", booking_id=booking.id)
        return response
    if booking.status in ("CHARGING", "FINISHING", "OVERSTAY"):
        return redirect(url_for("driver.live", booking_id=booking.id))
    if booking.status == "COMPLETED":
        return redirect(url_for("driver.receipt", booking_id=booking.id))
    return _show(booking)


def watch_key(booking) -> str:
    """What the watcher has seen: the status, and whether the charger refused the reservation (a change reloads
    the page). Any other answer to ReserveNow (pending, Accepted, failed) is shown in the watcher's own fragment,
    which updates in place: a reload would wipe the pay form the driver is typing in, or cut short a navigation
    the driver just started (the scan link) along with the page's flash message."""
    refused = booking.status in REFUSAL_SHOWN and booking.reservation_refused
    return f"{booking.status}:{'refused' if refused else ''}"


@bp.route("/bookings/<int:booking_id>/quote")
@login_required
def quote(booking_id: int):
    """The pre-authorisation for the quota being chosen (the pay form asks as the driver types)."""
    booking = own_booking(booking_id)
    form = QuotaForm(request.args, meta={"csrf": False})
    try:
        if not form.validate():
            raise invalid(form)
        kwh = quotas.resolve(booking, **form.choice())
        amount, error = bookings.quote(booking, kwh, **form.mode()), None
    except InvalidInput as exc:
        kwh, amount, error = None, None, exc.message
    return render_template("driver/bookings/_quote.html", booking=booking, kwh=kwh, amount=amount, error=error,
                           mode=form.charging_mode.data)


@bp.route("/bookings/<int:booking_id>/pay", methods=["POST"])
@login_required
def pay(booking_id: int):
    """Authorise the quota's price by card, UPI or wallet; a declined payment can be retried."""
    booking = own_booking(booking_id)
    back = url_for("driver.booking", booking_id=booking.id)
    form = PayForm()
    try:
        if not form.validate_on_submit():
            raise invalid(form)
        kwh = quotas.resolve(booking, **form.choice())
        booking = slot_pay.pay_any(current_user, booking.id, kwh, form.method.data, form.details.data,
                                   payment_key(booking, form.idempotency_key.data), **form.mode())
    except DomainError as exc:
        db.session.rollback()
        current = own_booking(booking_id)
        if current.status not in ("HELD", "SLOT_HELD"):  # it moved on meanwhile: its page says so, not a pay form
            return fail(exc, back)
        return refused(form, exc, back, lambda status: _show(current, form, status))
    if wants_json():
        return jsonify({"id": booking.id, "status": booking.status, "arriveBy": iso(booking.arrive_by)})
    flash("Payment authorised: your slot is booked." if booking.status == "SCHEDULED" else
          "Payment authorised: your booking is confirmed.", "success")
    return redirect(back, code=303)


@bp.route("/bookings/<int:booking_id>/cancel", methods=["POST"])
@login_required
def cancel(booking_id: int):
    """Cancel a held or confirmed booking, or a slot by the operator's policy; the page says what was kept."""
    own_booking(booking_id)
    try:
        booking = slot_cancel.cancel_any(current_user, booking_id)
    except DomainError as exc:
        return fail(exc, url_for("driver.booking", booking_id=booking_id))
    if booking.amount_captured:
        flash(f"Booking cancelled late: the session fee of {format_money(booking.amount_captured, booking.currency)}"
              " was kept, the rest released.", "info")
    else:
        flash("Booking cancelled. Nothing was charged.", "info")
    return redirect(url_for("driver.booking", booking_id=booking_id), code=303)


@bp.route("/bookings/<int:booking_id>/move", methods=["POST"])
@login_required
def move(booking_id: int):
    """The charger refused the reservation: take the offered connector of the same station instead."""
    own_booking(booking_id)
    back = url_for("driver.booking", booking_id=booking_id)
    form = ConnectorForm()
    try:
        if not form.validate_on_submit():
            raise invalid(form)
        booking = reservations.move(current_user, booking_id, form.connector_id.data)
    except DomainError as exc:
        return fail(exc, back)  # the connector is the button's hidden value: the page says why
    if wants_json():
        return jsonify({"id": booking.id, "status": booking.status, "connectorId": booking.connector_id})
    flash(f"Your booking moved to {booking.connector.label}. Nothing else changed.", "success")
    return redirect(back, code=303)
