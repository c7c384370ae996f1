"""Booking ahead: a station's day timeline of free slot starts per connector, and booking one."""
from datetime import date, timedelta

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..extensions import db
from ..services.booking import slot_times, slots
from ..services.errors import DomainError, InvalidInput, NotFound
from ..services.fleet import hours
from .blueprint import bp
from .common import invalid, refused
from .forms import SlotForm


def _day(station) -> date:
    text = request.values.get("date") or ""
    if not text:
        return hours.local_now(station).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput("Choose a date such as 2026-12-02.", {"field": "date"}) from None


def _timeline(station_id: int, form: SlotForm, status: int = 200):
    """The day's free starts per connector; a bad date or one out of range is said on the page (422)."""
    error, day, rows = None, None, []
    minutes = form.duration_minutes.data or slot_times.settings().default.seconds // 60
    try:
        station = slots.station_or_404(station_id)
    except NotFound:
        abort(404)
    try:
        day = _day(station)
        station, rows = slots.free_times(station_id, day, minutes=minutes)
    except InvalidInput as exc:
        error, status = exc.message, 422
    today = hours.local_now(station).date()
    days = [today + timedelta(days=n) for n in range(slot_times.settings().max_ahead.days + 1)]
    return render_template("driver/stations/slots.html", station=station, rows=rows, day=day, days=days,
                           form=form, error=error, minutes=minutes), status


@bp.route("/stations/<int:station_id>/slots")
def station_slots(station_id: int):
    """Free times per connector on a station-local date, in the station's timezone."""
    return _timeline(station_id, SlotForm(formdata=None, duration_minutes=request.args.get("duration", type=int)))


@bp.route("/stations/<int:station_id>/slots", methods=["POST"])
@login_required
def book_slot(station_id: int):
    """Book the picked start; then pay on the booking's page."""
    form = SlotForm()
    back = url_for("driver.station_slots", station_id=station_id, date=request.form.get("date"))
    try:
        if not form.validate_on_submit():
            raise invalid(form)
        connector_id, start = form.choice()
        booking = slots.book_slot(current_user, station_id, start, minutes=form.duration_minutes.data,
                                  connector_id=connector_id)
    except DomainError as exc:
        db.session.rollback()
        return refused(form, exc, back, lambda status: _timeline(station_id, form, status))
    return redirect(url_for("driver.booking", booking_id=booking.id), code=303)
