"""The server's stop (quota, fault, driver, staff): RemoteStopTransaction retried until StopTransaction arrives.

The state lives in charging_sessions: `stop_requested_at` / `stop_reason_requested` say a stop is wanted,
`stop_attempts` / `stop_attempted_at` count the RemoteStops sent, `stop_escalated_at` says staff were
alerted and the connector is to be made Inoperative once the booking ends. Attempt n is claimed by a
conditional UPDATE (attempts == n - 1, the previous one at least QUOTA_STOP_RETRY_SECONDS ago), so the
timer chain, the sweep re-arming a lost timer and the driver's button never send two stops at once and
never start a second chain: only the claimer of attempt n schedules attempt n + 1.
"""
import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, update

from ...extensions import db
from ...models.booking import END_REASON_MAX
from ...models import ChargingSession
from ...timeutil import utcnow
from ..platform import commands, events, timers
from ..platform.alerts import alert_staff
from ..errors import CommandFailed

log = logging.getLogger(__name__)

JOB = "jobs.charging.stop_session"
END_REASONS = {"quota": "quota reached", "fault": "charger fault", "driver": "stopped by driver",
               "slot": "stopped for the next slot"}


def retry_period() -> timedelta:
    return timedelta(seconds=current_app.config["QUOTA_STOP_RETRY_SECONDS"])


def request(session: ChargingSession, reason: str, enqueue: bool = True) -> bool:
    """Ask for a running session to be stopped (the caller commits); False when it already was."""
    if session.stopped_at is not None or session.stop_requested_at is not None:
        return False
    session.stop_requested_at, session.stop_reason_requested = utcnow(), reason[:32]
    session.remote_stop_sent = True  # MeterValues past the quota no longer ask again (metering.record)
    if session.booking is not None and session.booking.end_reason is None:
        session.booking.end_reason = END_REASONS.get(reason, reason)[:END_REASON_MAX]
    if enqueue:
        timers.enqueue(JOB, session.id, reason)
    return True


def attempt(session_id: int, number: int | None = None) -> bool | None:
    """Send RemoteStop attempt `number` (default: the next) if it is due; schedule the one after.

    Returns the charger's answer, or None when nothing was sent (stopped, superseded, or not due yet). Only
    the timer chain passes `number`; a timer that fired early re-schedules itself, a caller without a number
    (the first job, the driver, the sweep) never does, so there is only ever one chain."""
    now = utcnow()
    session = db.session.get(ChargingSession, session_id, populate_existing=True)
    if session is None or session.stopped_at is not None or session.stop_requested_at is None:
        return None
    chained, number = number is not None, number or session.stop_attempts + 1
    claimed = db.session.execute(update(ChargingSession).where(
        ChargingSession.id == session_id, ChargingSession.stopped_at.is_(None),
        ChargingSession.stop_attempts == number - 1,
        or_(ChargingSession.stop_attempted_at.is_(None), ChargingSession.stop_attempted_at <= now - retry_period()))
        .values(stop_attempts=number, stop_attempted_at=now)
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(session)
    if not claimed:
        if chained and session.stopped_at is None and session.stop_attempts == number - 1:  # early: RQ runs up to 1 s early
            timers.schedule(JOB, session.stop_attempted_at + retry_period(), session_id,
                            session.stop_reason_requested, number)
        db.session.commit()
        return None
    if number > current_app.config["QUOTA_STOP_ALERT_ATTEMPTS"]:
        _escalate(session)  # that many stops were sent and the charger is still charging
    reason = session.stop_reason_requested or "stop"
    charger_id, connector_number = session.connector.charger_id, session.connector.connector_id
    cp_id = session.connector.charger.charge_point_id
    db.session.commit()  # the claim is visible before we wait on the charger
    try:
        accepted = commands.remote_stop(cp_id, session_id)
        outcome = "Accepted" if accepted else "Rejected"
    except CommandFailed as exc:
        accepted, outcome = False, f"failed: {exc.message}"
        log.warning("Remote stop %s of session %s (%s) failed: %s", number, session_id, reason, exc)
    events.record(charger_id, "remote_stop",
                  f"RemoteStopTransaction {session_id} attempt {number} ({reason}): {outcome}", connector_number)
    session = db.session.get(ChargingSession, session_id, populate_existing=True)
    if session.stopped_at is None:
        timers.schedule(JOB, utcnow() + retry_period(), session_id, reason, number + 1)
        if not accepted and number >= current_app.config["QUOTA_STOP_ALERT_ATTEMPTS"]:
            _escalate(session)
    db.session.commit()
    return accepted


def _escalate(session: ChargingSession) -> None:
    """Once per session: alert the station's staff; the connector goes Inoperative when the booking ends."""
    won = db.session.execute(update(ChargingSession).where(
        ChargingSession.id == session.id, ChargingSession.stop_escalated_at.is_(None))
        .values(stop_escalated_at=utcnow()).execution_options(synchronize_session=False)).rowcount
    if not won:
        return
    db.session.refresh(session)
    connector = session.connector
    link = f"/admin/bookings/{session.booking_id}" if session.booking_id else f"/admin/sessions/{session.id}"
    events.record(connector.charger_id, "stop_failed", f"Session {session.id} still charging after "
                  f"{session.stop_attempts} RemoteStopTransaction(s); connector goes Inoperative when it ends",
                  connector.connector_id)
    alert_staff(connector.charger.station_id, "stop_failed", f"{connector.label} does not stop",
                f"Session #{session.id} ({session.stop_reason_requested}) is still charging after "
                f"{session.stop_attempts} stop requests. The stop is retried; the connector will be set "
                "Inoperative when the session ends. Check the charger.", link)


def after_end(session: ChargingSession | None) -> None:
    """The session's booking ended (or it had none): an escalated connector is made Inoperative."""
    if session is not None and session.stop_escalated_at is not None:
        timers.enqueue("jobs.charging.make_inoperative", session.id)


def make_inoperative(session_id: int) -> bool:
    """ChangeAvailability Inoperative on the connector of a session that would not stop; recorded."""
    session = db.session.get(ChargingSession, session_id)
    if session is None or session.stop_escalated_at is None:
        return False
    connector = session.connector
    cp_id, number, charger_id = connector.charger.charge_point_id, connector.connector_id, connector.charger_id
    try:
        ok = commands.change_availability(cp_id, number, operative=False)
        outcome = "accepted" if ok else "not accepted"
    except CommandFailed as exc:
        ok, outcome = False, f"failed: {exc.message}"
    events.record(charger_id, "availability", f"ChangeAvailability Inoperative after session {session_id} "
                  f"would not stop: {outcome} (bring it back from the console)", number)
    db.session.commit()
    return ok


def rearm_lost() -> int:
    """Sweep: re-send stops whose next retry was lost (a restart, a dropped job); returns how many."""
    now, period = utcnow(), retry_period()
    # A chain in progress attempts every period, plus the time a silent charger takes to time out.
    lost_after = now - 2 * period - timedelta(seconds=current_app.config["OCPP_CALL_TIMEOUT"])
    ids = db.session.execute(select(ChargingSession.id).where(
        ChargingSession.stopped_at.is_(None), ChargingSession.stop_requested_at.is_not(None),
        or_(and_(ChargingSession.stop_attempted_at.is_(None), ChargingSession.stop_requested_at < now - period),
            ChargingSession.stop_attempted_at < lost_after))).scalars().all()
    for session_id in ids:
        attempt(session_id)
    return len(ids)
