"""Change a charging session from the live page: choose, see the new power, finish and price, then confirm."""
import uuid

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..extensions import db
from ..services.booking import changes, modes
from ..services.charging import smart
from ..services.errors import DomainError
from .blueprint import bp
from .common import invalid, own_booking, refused
from .forms import ChangeForm, ChangePreviewForm


def _page(booking, form: ChangePreviewForm, preview=None, status: int = 200):
    return render_template("driver/charging/change.html", booking=booking, form=form, preview=preview,
                           station=booking.connector.charger.station, smart=smart.capable(booking.connector.charger),
                           not_smart=modes.NOT_SMART, idempotency_key=uuid.uuid4().hex), status


@bp.route("/bookings/<int:booking_id>/change")
@login_required
def change(booking_id: int):
    """The change form; with a choice, the change as it would be (nothing changes until Confirm)."""
    booking = own_booking(booking_id)
    back = url_for("driver.live", booking_id=booking_id)
    if not request.args:
        return _page(booking, ChangePreviewForm(formdata=None, charging_mode=booking.charging_mode,
                                         quota_kwh=booking.quota_kwh, solar_floor_kw=booking.solar_floor_kw))
    form = ChangePreviewForm(request.args)
    try:
        if not form.validate():
            raise invalid(form)
        preview = changes.preview(current_user, booking_id, **form.change())
    except DomainError as exc:
        return refused(form, exc, back, lambda status: _page(booking, form, None, status))
    return _page(booking, form, preview)


@bp.route("/bookings/<int:booking_id>/change", methods=["POST"])
@login_required
def confirm_change(booking_id: int):
    """Make the previewed change: top up if needed, move the quota stop, re-plan the station."""
    own_booking(booking_id)  # 404 unless it is the driver's
    back = url_for("driver.live", booking_id=booking_id)
    form = ChangeForm()
    try:
        if not form.validate_on_submit():
            raise invalid(form)
        changes.apply(current_user, booking_id, **form.change(), client_key=form.idempotency_key.data)
    except DomainError as exc:
        db.session.rollback()
        return refused(form, exc, back, lambda status: _page(own_booking(booking_id), form, None, status))
    flash("Changed: your session charges with the new settings.", "success")
    return redirect(back, code=303)
