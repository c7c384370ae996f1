"""Before a session outruns its authorisation, raise it (an incremental authorisation) or stop the charge.

MeterValues only detect the moment (`check`, inside their group commit: it enqueues, never calls the gateway);
the job (`top_up`) asks the gateway, outside any transaction, with the key booking-<id>-increment-<n>, so two
jobs for the same crossing raise it once. A decline stops the charge and tells the driver; whatever the session
still costs past the authorisation is owed on the balance when it is settled (services/payments.settle).
"""
import logging

from sqlalchemy import func, select

from ...extensions import db
from ...models import Booking, ChargingSession, Payment
from ...money import format_money
from . import payments
from ..platform import audit, notifications, timers

log = logging.getLogger(__name__)


def check(moved, energy_before: dict[int, int]) -> None:
    """Enqueue a top-up for each booked session whose energy crossed its booking's threshold in this batch."""
    for m in moved:
        threshold = m.topup_at_wh
        if (threshold is not None and m.booking_id is not None and m.stopped_at is None
                and energy_before.get(m.id, 0) < threshold <= m.energy_wh):
            timers.enqueue("jobs.money.top_up", m.booking_id)


def top_up(booking_id: int) -> Payment | None:
    """Raise the authorisation of a charging booking past its threshold; on decline stop the charge."""
    booking = db.session.get(Booking, booking_id)
    session = db.session.execute(select(ChargingSession).where(ChargingSession.booking_id == booking_id)
                                 ).scalar_one_or_none()
    if (booking is None or session is None or booking.status != "CHARGING" or session.stopped_at is not None
            or booking.topup_at_wh is None or session.energy_wh < booking.topup_at_wh):
        return None  # moved on, or already raised past this reading
    n = db.session.execute(select(func.count()).select_from(Payment).where(
        Payment.booking_id == booking_id, Payment.kind == "increment", Payment.status != "pending")).scalar_one() + 1
    extra, user_id, session_id = payments.extra_for(booking), booking.user_id, session.id
    payment = payments.increment(booking, extra, f"booking-{booking_id}-increment-{n}")
    if payment.status in ("succeeded", "pending"):
        return payment
    booking = db.session.get(Booking, booking_id)
    booking.topup_at_wh = None  # do not ask again
    if booking.end_reason is None:
        booking.end_reason = "authorisation limit reached"
    db.session.get(ChargingSession, session_id).remote_stop_sent = True
    audit.log("booking.topup_declined", "booking", booking_id, None,
              {"extra": extra, "payment_id": payment.id, "reason": payment.failure_reason or "declined"})
    timers.enqueue("jobs.charging.stop_session", session_id, "authorisation limit reached")
    notifications.notify(user_id, "authorisation_declined", "Charging stopped",
                         f"Your bank would not hold {format_money(extra, booking.currency)} more "
                         f"({payment.failure_reason or 'declined'}), so the charge was stopped. "
                         "You pay only for what was delivered.", link=f"/bookings/{booking_id}/live",
                         dedupe_key=f"increment-declined-{booking_id}")
    db.session.commit()
    return payment
