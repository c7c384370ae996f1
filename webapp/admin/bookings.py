"""Bookings: a searchable list, the detail, cancelling one (with its refund), force-finishing a stuck one."""
from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from ..auth.decorators import staff_required
from ..extensions import db
from ..services.booking import reservations
from ..services.charging import stuck
from ..services.money import disputes
from ..services.platform import audit
from ..services.reports import records
from ..services.errors import DomainError
from . import clock
from .blueprint import bp
from .access import booking_or_abort
from .slot_panel import panel
from .common import PER_PAGE
from .forms.bookings import StaffReasonForm
from .forms.filters import BookingFilterForm


@bp.route("/bookings")
@staff_required
def bookings():
    """Bookings at your stations: search by id, driver, charger; filter by status, station, dates."""
    form = BookingFilterForm.from_args(records.stations_for_filter(current_user))
    query = records.bookings_query(current_user, **form.filters(), zone=clock.console_zone())
    return render_template("admin/bookings/list.html", form=form,
                           page=db.paginate(query, page=form.page_number, per_page=PER_PAGE, error_out=False))


def _detail(booking, status: int = 200, failed: str | None = None, form: StaffReasonForm | None = None,
            **slot_forms):
    """The booking page; after a refused action, that action's form with its typed reason and message (a slot's
    move and cancel forms: `slot_forms`, see slot_panel.panel)."""
    return render_template("admin/bookings/detail.html", booking=booking, refundable=disputes.refundable,
                           trail=audit.for_target("booking", booking.id), failed=failed, form=form,
                           **panel(booking, **slot_forms)), status


@bp.route("/bookings/<int:booking_id>")
@staff_required
def booking_detail(booking_id: int):
    """A booking with its timeline, payments and session; cancel or refund from here."""
    return _detail(booking_or_abort(booking_id))


def _staff_action(booking_id: int, which: str, run, done: str):
    """One staff action on a booking: the form's reason to the service (which audits it), the outcome shown."""
    booking = booking_or_abort(booking_id)
    form = StaffReasonForm()
    status = 422
    if form.validate_on_submit():
        try:
            run(booking.id, form.reason.data)
        except DomainError as exc:
            status = form.fail(exc).status
        else:
            flash(done.format(id=booking_id, connector=booking.connector.label), "success")
            return redirect(url_for("admin.booking_detail", booking_id=booking_id))
    db.session.rollback()
    for message in form.form_errors:  # a refusal about the booking, not the reason: above the page
        flash(message, "error")
    return _detail(booking, status, which, form)


@bp.route("/bookings/<int:booking_id>/cancel", methods=["POST"])
@staff_required
def booking_cancel(booking_id: int):
    """Cancel a booking that has not started: the authorisation is released and the driver notified."""
    return _staff_action(booking_id, "cancel", reservations.cancel_by_staff,
                         "Booking #{id} cancelled; the driver was notified and the payment released.")


@bp.route("/bookings/<int:booking_id>/take-over", methods=["POST"])
@staff_required
def booking_take_over(booking_id: int):
    """Take a held or booked connector over (e.g. for a staff card): the booking ends, nothing charged, audited."""
    return _staff_action(booking_id, "take_over", reservations.take_over,
                         "{connector} is yours: booking #{id} ended with nothing charged and the driver was told.")


@bp.route("/bookings/<int:booking_id>/force-finish", methods=["POST"])
@staff_required
def booking_force_finish(booking_id: int):
    """End a charging, finishing or overstaying booking now, settled from the last stored reading."""
    return _staff_action(booking_id, "force_finish", stuck.force_finish,
                         "Booking #{id} finished; the driver pays for the last reading and was notified.")
