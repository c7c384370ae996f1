"""Maintenance windows for a station or a charger."""
import logging
from datetime import datetime

from sqlalchemy import func, or_, select, update

from ...extensions import db
from ...models import Booking, Charger, ChargerEvent, Connector, MaintenanceWindow, Station
from ...timeutil import utcnow
from ..platform import audit, commands, events, notifications, timers
from ..errors import CommandFailed, Conflict, InvalidInput
from ..booking.releases import release
from ..booking import slot_staff

log = logging.getLogger(__name__)

#: What the audit log keeps of a window, before and after a change.
WINDOW_FIELDS = ("station_id", "charger_id", "starts_at", "ends_at", "reason", "state")


def _audit(action: str, window: MaintenanceWindow, before: dict | None, **extra) -> None:
    audit.log(action, "maintenance_window", window.id, before, dict(audit.snapshot(window, WINDOW_FIELDS), **extra))


def chargers_of(window: MaintenanceWindow) -> list[Charger]:
    """The chargers a window covers: its charger, or every charger of its station."""
    if window.charger_id is not None:
        return [window.charger]
    return list(db.session.execute(select(Charger).where(Charger.station_id == window.station_id)).scalars())


def overlapping_slots(station_id: int | None, charger_id: int | None, starts_at: datetime,
                      ends_at: datetime) -> list[Booking]:
    """Slots booked on the station's (or the charger's) connectors whose time meets [starts_at, ends_at) and
    that have not started charging, soonest first."""
    chargers = (select(Charger.id).where(Charger.id == charger_id) if charger_id is not None
                else select(Charger.id).where(Charger.station_id == station_id))
    return list(db.session.execute(
        select(Booking).join(Connector, Booking.connector_id == Connector.id).where(
            Connector.charger_id.in_(chargers), Booking.slot_start.is_not(None),
            Booking.status.in_(slot_staff.CANCELLABLE), Booking.slot_start < ends_at, Booking.slot_end > starts_at)
        .order_by(Booking.slot_start)).scalars())


class SlotsOverlap(Conflict):
    """The window covers booked slots that the operator has not confirmed cancelling (`slot_ids`)."""

    def __init__(self, bookings: list[Booking]):
        super().__init__(f"{len(bookings)} booked slot(s) fall inside this window. Check the list and confirm: "
                         "their drivers are notified and their payments released in full.",
                         {"field": "confirm", "slot_ids": [b.id for b in bookings]})
        self.bookings = bookings


def schedule(station_id: int | None, charger_id: int | None, starts_at: datetime, ends_at: datetime,
             reason: str, by_user_id: int | None, confirmed_slots: set[int] | None = None) -> MaintenanceWindow:
    """Plan a window; timer jobs start it (Inoperative) and end it (Operative) on time. Audited.

    Booked slots inside it are cancelled (released in full, their drivers told, each audited) only when the
    operator confirmed exactly those: any other overlapping slot raises SlotsOverlap and nothing is written."""
    if (station_id is None) == (charger_id is None):
        raise InvalidInput("Choose a station or a charger.", {"field": "target"})
    if ends_at <= starts_at:
        raise InvalidInput("The window must end after it starts.", {"field": "ends_at"})
    if ends_at <= utcnow():
        raise InvalidInput("The window is already over.", {"field": "ends_at"})
    if len(reason or "") > 200:
        raise InvalidInput("The reason is at most 200 characters.", {"field": "reason"})
    covered = overlapping_slots(station_id, charger_id, starts_at, ends_at)
    if {b.id for b in covered} - (confirmed_slots or set()):
        db.session.rollback()
        raise SlotsOverlap(covered)
    window = MaintenanceWindow(station_id=station_id, charger_id=charger_id, starts_at=starts_at, ends_at=ends_at,
                               reason=reason, created_by=by_user_id)
    db.session.add(window)
    db.session.flush()
    _audit("maintenance.schedule", window, None, slots_cancelled=[b.id for b in covered])
    # One-shot ticks at the exact start and end; the periodic tick is the safety net.
    timers.schedule("jobs.maintenance.tick", max(starts_at, utcnow()))
    timers.schedule("jobs.maintenance.tick", ends_at)
    db.session.commit()  # from here no new slot can be booked inside the window (slots._busy reads it)
    slot_staff.cancel_for_maintenance([b.id for b in covered], window.id, reason)
    return window


def tick(now: datetime | None = None) -> None:
    """Start windows that are due, end the ones that are over, and re-send undelivered availability changes."""
    now = now or utcnow()
    redeliver()  # first, so that what fails below is retried at the next tick, not straight away
    due = db.session.execute(select(MaintenanceWindow.id).where(
        MaintenanceWindow.state == "scheduled", MaintenanceWindow.starts_at <= now)).scalars().all()
    for window_id in due:
        start(window_id)
    over = db.session.execute(select(MaintenanceWindow.id).where(
        MaintenanceWindow.state == "active", MaintenanceWindow.ends_at <= now)).scalars().all()
    for window_id in over:
        finish(window_id)


def _claim(window_id: int, old: str, new: str) -> MaintenanceWindow | None:
    """Move a window from `old` to `new` state; None when another tick got there first."""
    claimed = db.session.execute(update(MaintenanceWindow).where(
        MaintenanceWindow.id == window_id, MaintenanceWindow.state == old).values(state=new)).rowcount
    if not claimed:
        db.session.rollback()
        return None
    window = db.session.get(MaintenanceWindow, window_id)
    db.session.refresh(window)
    return window


def _other_active(window: MaintenanceWindow, charger: Charger) -> bool:
    """Whether another active window still covers this charger."""
    return db.session.execute(select(MaintenanceWindow.id).where(
        MaintenanceWindow.state == "active", MaintenanceWindow.id != window.id,
        or_(MaintenanceWindow.charger_id == charger.id, MaintenanceWindow.station_id == charger.station_id))
    ).first() is not None


def start(window_id: int) -> bool:
    """Affected bookings are cancelled with a refund and their drivers notified; chargers go Inoperative.
    Audited (usually as the job that starts it)."""
    window = _claim(window_id, "scheduled", "active")
    if window is None:
        return False
    before = dict(audit.snapshot(window, WINDOW_FIELDS), state="scheduled")
    targets = chargers_of(window)
    if window.station_id is not None and window.station.status == "active":
        window.station.status = "maintenance"
    for charger in targets:
        charger.in_maintenance = True
    late_slots = [b.id for b in overlapping_slots(window.station_id, window.charger_id, window.starts_at,
                                                  window.ends_at) if b.status in slot_staff.MOVABLE]
    cancelled = affected_bookings(window)
    for booking in cancelled:
        release(booking, "CANCELLED", "maintenance")
        notifications.notify(booking.user_id, "booking_cancelled", "Booking cancelled for maintenance",
                             f"{booking.connector.label} goes into maintenance: {window.reason or 'planned work'}. "
                             "Your payment was released.", link=f"/bookings/{booking.id}")
    pairs = [(c.id, c.charge_point_id) for c in targets]
    _audit("maintenance.start", window, before, bookings_cancelled=len(cancelled))
    db.session.commit()
    # A slot booked while the window was being planned (a race the planning could not see) is cancelled now.
    slot_staff.cancel_for_maintenance(late_slots, window.id, window.reason or "")
    _availability(pairs, operative=False)
    return True


def finish(window_id: int, state: str = "done") -> bool:
    """The window is over: chargers back in service and Operative again (unless another window holds them).
    Audited: `maintenance.finish` when it ran its course, `maintenance.cancel` when called off early."""
    window = _claim(window_id, "active", state)
    if window is None:
        return False
    before = dict(audit.snapshot(window, WINDOW_FIELDS), state="active")
    released = [c for c in chargers_of(window) if not _other_active(window, c)]
    if window.station_id is not None and window.station.status == "maintenance":
        still = db.session.execute(select(MaintenanceWindow.id).where(
            MaintenanceWindow.state == "active", MaintenanceWindow.station_id == window.station_id)).first()
        if still is None:
            window.station.status = "active"
    for charger in released:
        charger.in_maintenance = False
    pairs = [(c.id, c.charge_point_id) for c in released]
    _audit("maintenance.cancel" if state == "cancelled" else "maintenance.finish", window, before)
    db.session.commit()
    _availability(pairs, operative=True)
    return True


def cancel(window: MaintenanceWindow) -> None:
    """Call a window off; an active one ends now (chargers Operative again). Audited."""
    if window.state in ("done", "cancelled"):
        raise Conflict(f"This window is already {window.state}.")
    if window.state == "active":
        finish(window.id, state="cancelled")
        return
    before = audit.snapshot(window, WINDOW_FIELDS)
    window.state = "cancelled"
    _audit("maintenance.cancel", window, before)
    db.session.commit()


def _availability(pairs: list[tuple[int, str]], operative: bool) -> None:
    """ChangeAvailability for whole chargers; each outcome is a charger event (undelivered ones are retried)."""
    word = "Operative" if operative else "Inoperative"
    for charger_id, cp_id in pairs:
        try:
            accepted = commands.change_availability(cp_id, 0, operative)
            detail = f"{word} {'accepted' if accepted else 'refused'} (maintenance)"
        except CommandFailed as exc:
            detail = f"{word} {UNDELIVERED}: {exc.message}"
            log.info("ChangeAvailability for %s not delivered (%s); retried when it is back", cp_id, exc)
        events.record(charger_id, "maintenance", detail)
        db.session.commit()


UNDELIVERED = "not delivered"


def redeliver() -> int:
    """Chargers that were offline when their window started or ended get the change once they are back."""
    latest = (select(ChargerEvent.charger_id, func.max(ChargerEvent.id).label("last_id"))
              .where(ChargerEvent.kind == "maintenance").group_by(ChargerEvent.charger_id).subquery())
    rows = db.session.execute(
        select(Charger, ChargerEvent.detail).join(latest, latest.c.charger_id == Charger.id)
        .join(ChargerEvent, ChargerEvent.id == latest.c.last_id).where(Charger.online.is_(True))).all()
    pending = [(c.id, c.charge_point_id, c.in_maintenance) for c, detail in rows if UNDELIVERED in detail]
    db.session.commit()
    for charger_id, cp_id, in_maintenance in pending:
        _availability([(charger_id, cp_id)], operative=not in_maintenance)
    return len(pending)


def windows_query(station_ids: set[int] | None, state: str = ""):
    """Windows covering the given stations (None: all), soonest first."""
    query = (select(MaintenanceWindow).outerjoin(Charger, MaintenanceWindow.charger_id == Charger.id)
             .order_by(MaintenanceWindow.starts_at.desc()))
    if station_ids is not None:
        query = query.where(or_(MaintenanceWindow.station_id.in_(station_ids), Charger.station_id.in_(station_ids)))
    if state:
        query = query.where(MaintenanceWindow.state == state)
    return query


def windows_for_station(station: Station, limit: int = 20) -> list[MaintenanceWindow]:
    """The station's own windows and its chargers' windows, latest first."""
    return list(db.session.execute(windows_query({station.id}).limit(limit)).scalars())


def windows_for_charger(charger: Charger, limit: int = 20) -> list[MaintenanceWindow]:
    """Windows covering this charger (its own or its station's), latest first."""
    query = select(MaintenanceWindow).where(or_(MaintenanceWindow.charger_id == charger.id,
                                                MaintenanceWindow.station_id == charger.station_id))
    return list(db.session.execute(query.order_by(MaintenanceWindow.starts_at.desc()).limit(limit)).scalars())


def affected_bookings(window: MaintenanceWindow) -> list[Booking]:
    """Bookings on the window's connectors that are not yet charging (they are cancelled at the start)."""
    connector_ids = [c.id for ch in chargers_of(window) for c in ch.connectors]
    return list(db.session.execute(select(Booking).where(Booking.connector_id.in_(connector_ids),
                                                         Booking.status.in_(("HELD", "CONFIRMED")))).scalars())
