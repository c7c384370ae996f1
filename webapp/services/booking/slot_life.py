"""A paid slot's life, one timer job per step (each re-reads the booking and re-schedules itself when early):
the reminder (SLOT_REMINDER before the start, in the station's time and zone); ReserveNow (SLOT_RESERVE_AHEAD
before it, through the reservations path holds use); the guard of its connector (a session of someone else
still charging there is warned SLOT_WARN before it must end, and stopped through the server-stop path with its
retries at the start less the changeover); and the start itself, SCHEDULED -> CONFIRMED: from then on the
booking is scanned and started as any paid booking, and its arrival grace (counted from the slot start, set
when it was paid) ends in bookings.arrival_grace's no-show policy.

A slot can become CONFIRMED only when its connector and its driver have no other live booking (the partial
unique indexes): until then the start job retries every START_RETRY, and a slot still not started when its
grace ends is released (free when someone else's booking kept the connector, the no-show fee otherwise).
"""
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import Booking, ChargingSession, LIVE_STATUSES
from ...timeutil import as_utc, utcnow
from . import releases, trail
from ..charging import stop_retry
from ..fleet import hours
from ..platform import audit, notifications, timers

REMIND, RESERVE, WARN, CLEAR, START = (f"jobs.bookings.slot_{n}" for n in ("reminder", "reserve", "warn", "clear",
                                                                          "start"))
START_RETRY = timedelta(seconds=20)  # a connector or driver still busy at the slot start: try again this often
STOP_REASON = "slot"  # stop_retry.END_REASONS: "stopped for the next slot"


def changeover() -> timedelta:
    return timedelta(minutes=current_app.config["SLOT_CHANGEOVER_MINUTES"])


def clear_by(booking: Booking) -> datetime:
    """When the connector must be free of anyone else's session for this slot: its start less the changeover."""
    return as_utc(booking.slot_start) - changeover()


def moments(booking: Booking) -> dict[str, datetime]:
    """Each job's due time (UTC)."""
    start = as_utc(booking.slot_start)
    return {REMIND: start - timers.duration("SLOT_REMINDER"), RESERVE: start - timers.duration("SLOT_RESERVE_AHEAD"),
            WARN: clear_by(booking) - timers.duration("SLOT_WARN"), CLEAR: clear_by(booking), START: start}


def plan(booking: Booking) -> None:
    """Schedule a just-paid slot's timers (they are dispatched when the payment's transaction commits)."""
    now = utcnow()
    for job, at in moments(booking).items():
        timers.schedule(job, max(now, at), booking.id)
    timers.schedule("jobs.bookings.arrival_grace", booking.arrive_by, booking.id)


def _locked(booking_id: int) -> Booking | None:
    return db.session.execute(select(Booking).where(Booking.id == booking_id).with_for_update()
                              .execution_options(populate_existing=True)).scalar_one_or_none()


def _due(booking: Booking | None, job: str, statuses=("SCHEDULED",)) -> bool:
    """Whether `job` should act on `booking` now; a job run early (RQ truncates to the second) re-schedules."""
    if booking is None or booking.status not in statuses:
        db.session.commit()
        return False
    at = moments(booking)[job]
    if utcnow() < at:
        timers.schedule(job, at, booking.id)
        db.session.commit()
        return False
    return True


def _where(booking: Booking) -> tuple:
    station = booking.connector.charger.station
    return station, f"{booking.connector.label} at {station.name}"


def remind(booking_id: int) -> bool:
    """"Your slot starts at 08:00 (Asia/Kolkata)": once, before the start."""
    booking = _locked(booking_id)
    if not _due(booking, REMIND) or utcnow() >= as_utc(booking.slot_start):
        db.session.commit()
        return False
    station, where = _where(booking)
    notifications.notify(
        booking.user_id, "slot_reminder", "Your slot starts soon",
        f"{where}: your slot starts at {hours.local_now(station, booking.slot_start):%H:%M on %a %d %b} "
        f"({station.timezone}). Arrive and scan its QR code by {hours.local_now(station, booking.arrive_by):%H:%M}.",
        link=f"/bookings/{booking.id}", dedupe_key=f"slot-reminder-{booking.id}")
    db.session.commit()
    return True


def reserve(booking_id: int) -> bool:
    """ReserveNow for the slot (jobs.charging.reserve: until arrive-by, the slot's id as reservationId)."""
    booking = _locked(booking_id)
    if not _due(booking, RESERVE, ("SCHEDULED", "CONFIRMED")):
        return False
    if booking.reservation_status in ("pending", "Accepted"):
        db.session.commit()
        return False  # already sent (the start re-sends a refused one)
    _send_reservation(booking)
    db.session.commit()
    return True


def _send_reservation(booking: Booking) -> None:
    if booking.connector.charger.supports_reservation:
        booking.reservation_id, booking.reservation_status = booking.id, "pending"
        timers.enqueue("jobs.charging.reserve", booking.id)
    else:
        booking.reservation_status = "none"  # the idTag rule alone protects the connector


def _running_other(booking: Booking, lock: bool = False) -> ChargingSession | None:
    """A session still charging on the slot's connector that is not the slot's own."""
    query = select(ChargingSession).where(
        ChargingSession.connector_id == booking.connector_id, ChargingSession.stopped_at.is_(None),
        (ChargingSession.booking_id.is_(None)) | (ChargingSession.booking_id != booking.id))
    if lock:
        query = query.with_for_update()
    return db.session.execute(query.order_by(ChargingSession.id)).scalars().first()


def _session_link(session: ChargingSession) -> str:
    return f"/bookings/{session.booking_id}/live" if session.booking_id else "/"


def warn(booking_id: int) -> bool:
    """Tell the driver of a session that would run into the slot when it will be stopped, and why."""
    booking = db.session.get(Booking, booking_id, populate_existing=True)
    if not _due(booking, WARN):
        return False
    session = _running_other(booking)
    if session is None or session.user_id is None or session.stop_requested_at is not None:
        db.session.commit()
        return False
    station, where = _where(booking)
    notifications.notify(
        session.user_id, "slot_next_warning", "Your charging stops soon",
        f"{where} is booked from {hours.local_now(station, booking.slot_start):%H:%M} ({station.timezone}): "
        f"your session will be stopped at {hours.local_now(station, clear_by(booking)):%H:%M} so that the next "
        "driver can charge. Please unplug then.", link=_session_link(session),
        dedupe_key=f"slot-warn-{booking.id}-{session.id}")
    db.session.commit()
    return True


def clear(booking_id: int) -> bool:
    """Stop a session of someone else still charging on the slot's connector (RemoteStop, retried), and say why."""
    booking = db.session.get(Booking, booking_id, populate_existing=True)
    if not _due(booking, CLEAR):
        return False
    session = _running_other(booking, lock=True)
    if session is None or not stop_retry.request(session, STOP_REASON):
        db.session.commit()
        return False
    audit.log("session.stop", "session", session.id, {"active": True, "stop_requested_at": None},
              audit.snapshot(session, ("stop_requested_at", "stop_reason_requested")), actor=trail.by_system())
    if session.user_id is not None:
        station, where = _where(booking)
        notifications.notify(
            session.user_id, "slot_next_stop", "Charging stopped for the next booking",
            f"{where} is booked from {hours.local_now(station, booking.slot_start):%H:%M} ({station.timezone}); "
            "your session was stopped so that the next driver can charge. You pay only for what you charged. "
            "Please unplug and move your car.", link=_session_link(session), dedupe_key=f"slot-stop-{session.id}")
    db.session.commit()
    return True


def start(booking_id: int) -> bool:
    """At the slot start: SCHEDULED -> CONFIRMED (scan and start as any paid booking until arrive-by)."""
    booking = _locked(booking_id)
    if not _due(booking, START):
        return False
    now, before = utcnow(), trail.snapshot(booking)
    if now > as_utc(booking.arrive_by):
        return _never_started(booking)
    station, where = _where(booking)  # loaded before the change: no autoflush outside the try below
    booking.status = "CONFIRMED"
    try:
        db.session.flush()
    except IntegrityError:  # the connector or the driver still has another live booking
        db.session.rollback()
        return _wait(booking_id, now)
    if booking.reservation_status not in ("pending", "Accepted"):
        _send_reservation(booking)  # refused or never sent: the connector should be free by now
    trail.log("booking.slot_start", booking, before)
    notifications.notify(booking.user_id, "slot_started", "Your slot has started",
                         f"{where}: scan its QR code and press Start by "
                         f"{hours.local_now(station, booking.arrive_by):%H:%M} ({station.timezone}).",
                         link=f"/bookings/{booking.id}", dedupe_key=f"slot-started-{booking.id}")
    db.session.commit()
    return True


def _blocker(booking: Booking) -> Booking | None:
    """Another driver's live booking on the slot's connector."""
    return db.session.execute(select(Booking).where(
        Booking.connector_id == booking.connector_id, Booking.id != booking.id, Booking.user_id != booking.user_id,
        Booking.status.in_(LIVE_STATUSES))).scalars().first()


def _wait(booking_id: int, now: datetime) -> bool:
    booking = db.session.get(Booking, booking_id)
    timers.schedule(START, min(now + START_RETRY, as_utc(booking.arrive_by) + timedelta(seconds=1)), booking.id)
    if _blocker(booking) is not None:
        notifications.notify(booking.user_id, "slot_waiting", "Your connector is not free yet",
                             f"{_where(booking)[1]} is still in use. Your slot is kept; we tell you as soon as "
                             "you can start.", link=f"/bookings/{booking.id}", dedupe_key=f"slot-wait-{booking.id}")
    db.session.commit()
    return False


def _never_started(booking: Booking) -> bool:
    """The grace ended before the slot could start: free if another driver kept the connector, else a no-show."""
    before, tariff = trail.snapshot(booking), booking.connector.charger.station.tariff
    if _blocker(booking) is not None:
        releases.release(booking, "CANCELLED", "connector not free at the slot")
        trail.log("booking.cancel", booking, before)
        notifications.notify(booking.user_id, "booking_cancelled", "Slot released, nothing charged",
                             f"{_where(booking)[1]} was still in use during your slot; your payment was released.",
                             link=f"/bookings/{booking.id}", dedupe_key=f"slot-blocked-{booking.id}")
    else:
        fee = min(tariff.session_fee if tariff else 0, booking.amount_authorised)
        releases.release(booking, "NO_SHOW", "arrival grace passed", fee=fee)
        trail.log("booking.no_show", booking, before)
        notifications.notify(booking.user_id, "no_show", "Booking released",
                             "You did not start charging in time. The session fee was kept; the rest was released.",
                             link=f"/bookings/{booking.id}", dedupe_key=f"noshow-{booking.id}")
    db.session.commit()
    return True


def start_due(user_id: int) -> None:
    """Start the driver's slot whose time has come, if its job has not yet (a scan must not wait for it)."""
    now = utcnow()
    ids = db.session.execute(select(Booking.id).where(
        Booking.user_id == user_id, Booking.status == "SCHEDULED", Booking.slot_start <= now,
        Booking.arrive_by >= now)).scalars().all()
    for booking_id in ids:
        start(booking_id)
