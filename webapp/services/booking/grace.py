"""The arrival grace: until when a confirmed booking may still become a charging session.

The grace is measured at the press of Start: a driver who pressed Start before arrive-by may have the
charger's StartTransaction arrive up to START_CONNECT_SECONDS after the press, even past arrive-by.
"""
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_

from ...models import Booking
from ..platform import timers


def connect_window() -> timedelta:
    """How long after the press of Start its StartTransaction is still awaited."""
    return timedelta(seconds=current_app.config["START_CONNECT_SECONDS"])


def deadline(booking: Booking) -> datetime | None:
    """The end of the arrival grace for this booking: arrive-by, or the press of Start + the window if later."""
    if booking.arrive_by is None:
        return None
    if booking.start_requested_at is None:
        return booking.arrive_by
    return max(booking.arrive_by, booking.start_requested_at + connect_window())


def passed(booking: Booking, now: datetime) -> bool:
    """Has a CONFIRMED booking's arrival grace (Start window included) ended?"""
    end = deadline(booking)
    return end is not None and now > end


def in_grace_sql(now: datetime):
    """SQL condition: a CONFIRMED booking whose arrival grace (Start window included) has not ended at `now`."""
    # IS NOT NULL first, so that the negation (~) of this condition is never NULL for a booking without a press.
    return and_(Booking.status == "CONFIRMED", Booking.arrive_by.is_not(None),
                or_(Booking.arrive_by >= now, and_(Booking.start_requested_at.is_not(None),
                                                   Booking.start_requested_at >= now - connect_window())))


def slot_protected_sql(now: datetime):
    """SQL condition: a scheduled slot whose connector is kept for it from now on (ReserveNow is sent
    SLOT_RESERVE_AHEAD before the start, and nobody else may start inside the changeover either)."""
    ahead = max(timers.duration("SLOT_RESERVE_AHEAD"), timedelta(minutes=current_app.config["SLOT_CHANGEOVER_MINUTES"]))
    return and_(Booking.status == "SCHEDULED", Booking.slot_start <= now + ahead, Booking.arrive_by >= now)
