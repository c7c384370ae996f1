"""Sessions that would never end on their own: flagged by the sweep, alerted, force-finished by staff.

A CHARGING, FINISHING or OVERSTAY booking is stuck when its charger has not been heard from for
STUCK_SESSION_MINUTES (offline or silent), or when it is FINISHING/OVERSTAY that long past its exit-by
without the connector reporting free. Force-finishing closes the session at its last stored reading (the
energy register and the time of that reading), prices it, and ends the booking through the same path as a
freed connector (lifecycle.finalise -> payments.settle). A StopTransaction arriving later is acknowledged
and bills nothing more (the driver was told so); energy it reports beyond the billed reading is recorded as
an `unbilled_energy` charger event with its price, and staff are alerted (transactions.stop).
"""
import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update

from ...extensions import db
from ...models.booking import END_REASON_MAX
from ...models import Booking, Charger, ChargingSession, Connector, MeterSample
from ...timeutil import utcnow
from . import lifecycle
from ..booking import trail
from ..platform import commands, events, notifications, timers
from ..platform.alerts import alert_staff
from ..errors import CommandFailed, Conflict, InvalidInput, NotFound

log = logging.getLogger(__name__)

RUNNING = ("CHARGING", "FINISHING", "OVERSTAY")
STOP_REASON = "ForceFinished"


def threshold() -> timedelta:
    """STUCK_SESSION_SECONDS when set, else STUCK_SESSION_MINUTES."""
    return timers.duration("STUCK_SESSION")


def flag_stuck() -> list[int]:
    """Sweep: flag (once) and alert every stuck booking; returns the ids flagged now."""
    now = utcnow()
    limit = now - threshold()
    rows = db.session.execute(
        select(Booking.id, Booking.status, Charger.last_seen, Booking.exit_by)
        .join(Connector, Booking.connector_id == Connector.id).join(Charger, Connector.charger_id == Charger.id)
        .where(Booking.status.in_(RUNNING), Booking.stuck_at.is_(None),
               or_(Charger.last_seen.is_(None), Charger.last_seen < limit,
                   and_(Booking.status.in_(("FINISHING", "OVERSTAY")), Booking.exit_by < limit)))).all()
    flagged = []
    for booking_id, status, last_seen, exit_by in rows:
        won = db.session.execute(update(Booking).where(
            Booking.id == booking_id, Booking.stuck_at.is_(None), Booking.status.in_(RUNNING))
            .values(stuck_at=now).execution_options(synchronize_session=False)).rowcount
        if not won:
            continue
        booking = db.session.get(Booking, booking_id, populate_existing=True)
        if last_seen is None or last_seen < limit:
            why = "the charger has been silent since " + (f"{last_seen:%Y-%m-%d %H:%M} UTC" if last_seen else "ever")
        else:
            why = f"the connector was not freed after the exit grace ended at {exit_by:%Y-%m-%d %H:%M} UTC"
        trail.log("booking.stuck", booking, {**trail.snapshot(booking), "stuck_at": None}, why=why)
        charger = booking.connector.charger
        events.record(charger.id, "session_stuck", f"Booking {booking_id} ({status}) flagged stuck: {why}",
                      booking.connector.connector_id)
        alert_staff(charger.station_id, "session_stuck", f"Stuck session on {booking.connector.label}",
                    f"Booking #{booking_id} is {status.lower()} and {why}. Check the charger, or force-finish "
                    "the booking from the console.", f"/admin/bookings/{booking_id}")
        flagged.append(booking_id)
    db.session.commit()
    return flagged


def force_finish(booking_id: int, reason: str) -> Booking:
    """Staff end a running booking: settled from the last stored reading; the driver is told why."""
    reason = (reason or "").strip()
    if not reason or len(reason) > 150:
        raise InvalidInput("Give a reason (at most 150 characters); the driver sees it.", {"field": "reason"})
    booking = db.session.execute(select(Booking).where(Booking.id == booking_id).with_for_update()
                                 ).scalar_one_or_none()
    if booking is None:
        raise NotFound("No such booking.")
    if booking.status not in RUNNING:
        raise Conflict(f"This booking is {booking.status.lower()}: only a charging, finishing or overstaying "
                       "booking can be force-finished.")
    before = trail.snapshot(booking)
    finish(booking, reason)
    trail.log("booking.force_finish", booking, before, reason=reason)
    db.session.commit()
    return booking


def finish(booking: Booking, reason: str) -> None:
    """Close a running booking's session at its last stored reading and settle it (the caller commits)."""
    now = utcnow()
    session = db.session.execute(select(ChargingSession).where(ChargingSession.booking_id == booking.id)
                                 .with_for_update()).scalar_one_or_none()
    was_running = session is not None and session.stopped_at is None
    if was_running:
        session.meter_stop = max(session.meter_last or session.meter_start, session.meter_start)
        session.stopped_at = last_reading_at(session)
        session.stop_reason = STOP_REASON
        session.energy_wh = session.meter_stop - session.meter_start
        lifecycle.price_session(session)
    charger = booking.connector.charger
    if booking.status == "CHARGING":
        booking.status, booking.stopped_at = "FINISHING", session.stopped_at if session else now
    booking.end_reason = f"force-finished: {reason}"[:END_REASON_MAX]
    # Idle time counts only while we still heard from the charger: after that nobody knows the car was there.
    lifecycle.finalise(booking, idle_until=min(now, charger.last_seen or now))
    events.record(charger.id, "force_finish", f"Booking {booking.id} force-finished: {reason}",
                  booking.connector.connector_id)
    notifications.notify(booking.user_id, "booking_force_finished", "Session ended by the operator",
                         f"{booking.connector.label}: {reason}. You pay for what the charger had reported "
                         "when it was last heard from.", link=f"/bookings/{booking.id}/receipt",
                         dedupe_key=f"force-finished-{booking.id}")
    if was_running and charger.online:
        timers.enqueue("jobs.charging.stop_forced", session.id)  # the charger may still be delivering


def last_reading_at(session: ChargingSession) -> datetime:
    """When the session's last stored reading was taken (its start when there is none)."""
    latest = db.session.execute(select(func.max(MeterSample.timestamp))
                                .where(MeterSample.session_id == session.id)).scalar_one_or_none()
    return max(latest or session.started_at, session.started_at)


def stop_forced(session_id: int) -> None:
    """One RemoteStopTransaction to a charger whose session was force-finished (best effort, recorded)."""
    session = db.session.get(ChargingSession, session_id)
    if session is None:
        return
    charger = session.connector.charger
    try:
        outcome = "Accepted" if commands.remote_stop(charger.charge_point_id, session_id) else "Rejected"
    except CommandFailed as exc:
        outcome = f"failed: {exc.message}"
    events.record(charger.id, "remote_stop", f"RemoteStopTransaction {session_id} after force-finish: {outcome}",
                  session.connector.connector_id)
    db.session.commit()
