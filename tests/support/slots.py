"""A slot booked ahead without the booking page's step and lead rules: for timer tests whose slot starts in
seconds. Paying it goes through the real path (slot_pay.pay_slot)."""
import uuid
from datetime import timedelta

from webapp.extensions import db
from webapp.models import Booking
from webapp.services.booking import slot_pay
from webapp.timeutil import utcnow


def unpaid_slot(user, connector, starts_in: timedelta, length=timedelta(minutes=30),
                changeover=timedelta(minutes=10)) -> Booking:
    """A SLOT_HELD booking on `connector` starting `starts_in` from now."""
    now = utcnow()
    start = now + starts_in
    booking = Booking(user_id=user.id, connector_id=connector.id, status="SLOT_HELD", created_at=now,
                      hold_expires_at=now + timedelta(minutes=10), slot_start=start, slot_end=start + length,
                      slot_clear_at=start + length + changeover, currency="INR")
    db.session.add(booking)
    db.session.commit()
    return booking


def paid_slot(user, connector, starts_in: timedelta, quota_kwh: float = 10, details="4242 4242 4242 4242",
              **kw) -> Booking:
    """A SCHEDULED booking (paid by card through slot_pay.pay_slot), its timers planned."""
    booking = unpaid_slot(user, connector, starts_in, **kw)
    return slot_pay.pay_slot(user, booking.id, quota_kwh, "card", details, uuid.uuid4().hex)
