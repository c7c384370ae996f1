"""Slots booked ahead, for staff: a station's day (connectors x hours on its clock), moving a slot and
cancelling one (the booking page shows both forms; the rules and the audit are in services/booking/slot_staff)."""
from datetime import timedelta

from flask import flash, redirect, render_template, url_for

from ..auth.decorators import staff_required
from ..extensions import db
from ..services.booking import slot_day, slot_staff
from ..services.fleet import hours
from .access import booking_or_abort, station_or_abort
from .blueprint import bp
from .bookings import _detail
from .forms.bookings import StaffReasonForm
from .forms.slots import DayForm, MoveSlotForm
from .forms.submit import submit


@bp.route("/stations/<int:station_id>/day")
@staff_required
def station_day(station_id: int):
    """A station's day: each connector against the hours of the chosen date (station time), with the slots
    booked or unpaid, the immediate holds and the maintenance windows; a date picker."""
    station = station_or_abort(station_id)
    form = DayForm.from_args()
    on = form.filters()["date"] or slot_day.today(station)
    if form.date.data is None or form.date.errors:
        form.date.data, form.date.raw_data = on, []
    return render_template("admin/stations/day.html", station=station, form=form, view=slot_day.day(station, on),
                           previous=on - timedelta(days=1), following=on + timedelta(days=1))


@bp.route("/bookings/<int:booking_id>/slot/move", methods=["POST"])
@staff_required
def slot_move(booking_id: int):
    """Move a slot that has not begun to another free time or connector of its station; the driver is told."""
    booking = booking_or_abort(booking_id)
    form = MoveSlotForm.for_slot(booking, slot_staff.connectors_for(booking), posted=True)
    tz = booking.connector.charger.station.timezone
    _, refused = submit(form, lambda: slot_staff.move(booking.id, hours.local_to_utc(form.starts_at.data, tz),
                                                      form.connector_id.data, form.reason.data))
    if refused:
        db.session.rollback()
        return _detail(db.session.get(type(booking), booking_id), refused, "slot_move", move_form=form)
    flash(f"Slot #{booking_id} moved; the driver was notified.", "success")
    return redirect(url_for("admin.booking_detail", booking_id=booking_id))


@bp.route("/bookings/<int:booking_id>/slot/cancel", methods=["POST"])
@staff_required
def slot_cancel(booking_id: int):
    """Cancel a slot that has not begun: its whole pre-authorisation released, the driver told."""
    booking = booking_or_abort(booking_id)
    form = StaffReasonForm()
    _, refused = submit(form, lambda: slot_staff.cancel(booking.id, form.reason.data))
    if refused:
        db.session.rollback()
        return _detail(db.session.get(type(booking), booking_id), refused, "slot_cancel", cancel_form=form)
    flash(f"Slot #{booking_id} cancelled; the payment was released in full and the driver notified.", "success")
    return redirect(url_for("admin.booking_detail", booking_id=booking_id))
