"""After charging: the receipt, rating the station, and the driver's history with totals and a chart."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..extensions import db
from ..services.booking import modes, ratings
from ..services.charging import session_summary
from ..services.reports import history
from ..services.errors import DomainError
from .blueprint import bp
from .common import fail, invalid, own_booking, refused
from .forms import HistoryForm, RateForm


def _receipt(booking, rate_form: RateForm | None = None, status: int = 200):
    receipt = session_summary.receipt(booking)
    return render_template("driver/history/receipt.html", booking=booking, rate_form=rate_form,
                           receipt=receipt, station=booking.connector.charger.station,
                           modes_used=modes.used(booking), segments=modes.segments(booking, receipt.energy_wh),
                           modes_price=modes.price_of(booking)), status


@bp.route("/bookings/<int:booking_id>/receipt")
@login_required
def receipt(booking_id: int):
    """Energy, duration, average power, cost breakdown and payment references of a finished booking."""
    booking = own_booking(booking_id)
    if booking.is_live:
        return redirect(url_for("driver.booking", booking_id=booking.id))
    return _receipt(booking)


@bp.route("/bookings/<int:booking_id>/rate", methods=["POST"])
@login_required
def rate(booking_id: int):
    """Rate the station 1 to 5 stars after a completed session."""
    booking = own_booking(booking_id)
    back = url_for("driver.receipt", booking_id=booking_id)
    form = RateForm()
    try:
        if not form.validate_on_submit():
            raise invalid(form)
        ratings.rate(current_user, booking_id, form.stars.data)
    except DomainError as exc:
        db.session.rollback()
        if booking.is_live:
            return fail(exc, back)
        return refused(form, exc, back, lambda status: _receipt(booking, form, status))
    flash("Thanks for rating this station.", "success")
    return redirect(back, code=303)


@bp.route("/history")
@login_required
def history_page():
    """Past sessions (recent, this month, all time) page by page, with totals and monthly usage."""
    form = HistoryForm(formdata=request.args)
    if not form.validate():  # the tabs are links: an unknown one is a hand-made URL
        abort(400, description=form.filter.errors[0])
    chosen, number = form.filter.data, form.page_number
    months = history.monthly(current_user)
    return render_template("driver/history/index.html", page=history.page(current_user, chosen, number),
                           totals=history.totals(current_user, chosen), chosen=chosen, filters=history.FILTERS,
                           chart=history.chart(months), months=months)
