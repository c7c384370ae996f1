"""Booking rules: hold, pay, start, stop, cancel, and the timers that end a booking.

One live booking per connector and per driver is enforced by partial unique indexes; a hold is expired
by every read and write that looks at it (`now > hold_expires_at`), so no worker is needed for it to be
exact. The timer jobs only make expiry visible and release the charger.
"""
import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import Booking, ChargingSession, Connector, User
from ...timeutil import utcnow, zoned
from ...money import format_money
from . import grace, modes, slot_gaps, slot_life, trail
from .releases import release, release_reservation  # noqa: F401 - part of this module's API
from ..charging import stop_retry, stuck
from ..fleet import hours
from ..money import ledger, payments
from ..platform import audit, commands, notifications, timers
from ..platform.alerts import alert_staff
from ..errors import ChargerUnavailable, Conflict, Forbidden, InvalidInput, NotFound, StationClosed

log = logging.getLogger(__name__)

BOOKABLE_STATUSES = ("Available",)
QUOTA_LIMITS_KWH = (1, 150)


def expire_stale(connector_id: int | None = None, user_id: int | None = None) -> None:
    """Expire holds and no-shows whose time has passed (conditional updates, safe under races)."""
    now = utcnow()
    scope = []
    if connector_id is not None:
        scope.append(Booking.connector_id == connector_id)
    if user_id is not None:
        scope.append(Booking.user_id == user_id)
    where = [or_(*scope)] if scope else []
    expired = db.session.execute(update(Booking).where(Booking.status == "HELD", Booking.hold_expires_at < now, *where)
                                 .values(status="EXPIRED", ended_at=now, end_reason="hold expired")
                                 .returning(Booking.id)).scalars().all()
    # A Start pressed inside the grace keeps the booking while its StartTransaction may still arrive.
    no_shows = db.session.execute(update(Booking).where(Booking.status == "CONFIRMED", Booking.arrive_by < now,
                                                        ~grace.in_grace_sql(now), *where)
                                  .values(status="NO_SHOW", ended_at=now, end_reason="arrival grace passed")
                                  .returning(Booking.id)).scalars().all()
    slot_gaps.expire_stale_slots(*where)
    for action, ids, before, after in (("booking.expire", expired, "HELD", "EXPIRED"),
                                       ("booking.no_show", no_shows, "CONFIRMED", "NO_SHOW")):
        for booking_id in ids:  # the platform's timer, seen by this read: nobody in particular did it
            audit.log(action, "booking", booking_id, {"status": before}, {"status": after}, actor=trail.by_system())


def check_connector_bookable(connector: Connector) -> None:
    """Raise a clear error unless drivers may book this connector now."""
    charger, station = connector.charger, connector.charger.station
    if station is None or station.status == "retired" or charger.retired:
        raise ChargerUnavailable("This charger is not in service.")
    if station.status == "maintenance" or charger.in_maintenance:
        raise ChargerUnavailable("This charger is in maintenance.")
    if not hours.is_open(station):
        raise StationClosed("Station is closed. Bookings are not allowed.")
    if not charger.online:
        raise ChargerUnavailable("This charger is offline right now.")
    if connector.status == "Faulted":
        raise ChargerUnavailable("This connector reported a fault.")
    if connector.status not in BOOKABLE_STATUSES:
        raise Conflict(f"This connector is {connector.status.lower()}; it was just taken.")


def check_driver(user: User) -> None:
    """Raise Forbidden unless `user` may book (not suspended, no unpaid debt)."""
    if not user.active:
        raise Forbidden("Your account is suspended.")
    debt = payments.outstanding_debt(user.id)
    if debt:
        currency = ledger.currency_of(user.id)
        raise Forbidden(f"You owe {format_money(debt, currency)} from an earlier session. Pay it on your balance "
                        "page before booking again.", {"debt": debt, "outstanding": debt, "currency": currency,
                                                       "balance_url": "/api/balance", "page": "/account/balance"})


def place_hold(user: User, connector_id: int) -> Booking:
    """Create a HELD booking with a countdown; the loser of a race gets Conflict."""
    check_driver(user)
    connector = db.session.get(Connector, connector_id)
    if connector is None:
        raise NotFound("No such connector.")
    check_connector_bookable(connector)
    expire_stale(connector.id, user.id)
    now = utcnow()
    until = slot_gaps.free_until(connector.id, now)
    if until is not None and until - slot_gaps.latest_start(now) < slot_gaps.SHORTEST_CHARGE:
        raise Conflict(f"{connector.label} is booked from {hours.local_now(connector.charger.station, until):%H:%M}: "
                       "too soon to charge before then. Take another connector.")
    tariff = connector.charger.station.tariff
    booking = Booking(user_id=user.id, connector_id=connector.id, status="HELD", created_at=now,
                      hold_expires_at=now + timers.duration("HOLD"),
                      currency=tariff.currency if tariff else "INR")
    db.session.add(booking)
    try:
        db.session.flush()
        if connector.charger.supports_reservation:  # ReserveNow at once, not after payment (one id throughout)
            booking.reservation_id, booking.reservation_status = booking.id, "pending"
            timers.enqueue("jobs.charging.reserve", booking.id)
        else:
            booking.reservation_status = "none"  # the idTag rule alone protects the connector
    except IntegrityError:
        db.session.rollback()
        mine = db.session.execute(select(Booking).where(
            Booking.user_id == user.id, Booking.status.in_(("HELD", "CONFIRMED", "CHARGING", "FINISHING",
                                                             "OVERSTAY")))).scalar_one_or_none()
        if mine is not None:
            raise Conflict("You already have a live booking.", {"booking_id": mine.id})
        raise Conflict("Sorry, this connector was just taken.")
    timers.schedule("jobs.bookings.expire_hold", booking.hold_expires_at, booking.id)
    warn_at = booking.hold_expires_at - timedelta(seconds=current_app.config["HOLD_WARNING_SECONDS"])
    timers.schedule("jobs.bookings.hold_warning", max(now, warn_at), booking.id)
    trail.log("booking.hold", booking, None)
    db.session.commit()
    return booking


def timer_due(booking: Booking, now) -> bool:
    """A hold or an arrival grace whose time has passed but which still reads as live."""
    return ((booking.status in ("HELD", "SLOT_HELD") and booking.hold_expires_at < now)
            or (booking.status == "CONFIRMED" and grace.passed(booking, now)))


def get_for_user(user: User, booking_id: int, lock: bool = False, load=()) -> Booking:
    """The user's own booking, with stale timers applied; NotFound if it is not theirs, whatever their role.

    Staff act on drivers' bookings only through the console (scoped to their stations, audited, the driver
    notified: services/money/disputes.py, services/booking/reservations.py), never through the driver's own paths.

    `load`: loader options for what the caller reads next (one query instead of one per relationship).
    The timers are applied only when this booking's own timer is due, so a read of a booking that is not
    stale (every poll of a live session) writes nothing.
    """
    query = select(Booking).where(Booking.id == booking_id).options(*load)
    if lock:
        query = query.with_for_update()
    booking = db.session.execute(query).scalar_one_or_none()
    if booking is None or booking.user_id != user.id:
        raise NotFound("No such booking.")
    if timer_due(booking, utcnow()):
        expire_stale(user_id=booking.user_id)
        db.session.refresh(booking)
    return booking


def quote(booking: Booking, quota_kwh: float, mode: str = modes.FAST, floor_kw: float | None = None) -> int:
    """The pre-authorisation for a quota in a charging mode, in minor units."""
    if not (QUOTA_LIMITS_KWH[0] <= quota_kwh <= QUOTA_LIMITS_KWH[1]):
        raise InvalidInput(f"Choose between {QUOTA_LIMITS_KWH[0]} and {QUOTA_LIMITS_KWH[1]} kWh.")
    return modes.choose(booking, mode, quota_kwh, floor_kw).authorisation


def check_payment_input(method: str, idempotency_key: str) -> None:
    if method not in ("card", "upi", "wallet"):
        raise InvalidInput("Choose card, UPI or wallet.", {"field": "method"})
    if not idempotency_key or len(idempotency_key) > 80:
        raise InvalidInput("This payment form is out of date. Reload the page and pay again.",
                           {"field": "idempotency_key"})


def pay(user: User, booking_id: int, quota_kwh: float, method: str, details: str, idempotency_key: str,
        mode: str = modes.FAST, floor_kw: float | None = None) -> Booking:
    """Authorise the quota's price in the chosen charging mode and confirm the booking (HELD -> CONFIRMED)."""
    booking = get_for_user(user, booking_id, lock=True)
    if booking.status == "CONFIRMED" and payments.authorisation_of(booking) is not None:
        return booking  # a double submit: the first one won, nothing is charged twice
    if booking.status == "EXPIRED":
        raise Conflict("Your hold expired. Book the connector again.")
    if booking.status != "HELD":
        raise Conflict(f"This booking is {booking.status.lower()} and cannot be paid.")
    if booking.reservation_refused:
        raise Conflict(f"The charger could not reserve {booking.connector.label} ({booking.reservation_status}). "
                       "Take another connector or cancel; nothing was charged.")
    if not hours.is_open(booking.connector.charger.station):
        raise StationClosed("Payment blocked. Station is closed.")
    check_payment_input(method, idempotency_key)
    amount = quote(booking, quota_kwh, mode, floor_kw)
    slot_gaps.check_gap(booking, quota_kwh)
    booking.quota_kwh, booking.charging_mode = quota_kwh, mode
    booking.solar_floor_kw = modes.check_floor(booking, mode, floor_kw)
    payments.authorise(booking, amount, method, details, idempotency_key)  # commits: our row lock is gone
    booking = get_for_user(user, booking_id, lock=True)  # the hold may have run out while the bank answered
    if booking.status == "CONFIRMED":
        return booking  # a concurrent submission confirmed it with the same authorisation
    if booking.status != "HELD":
        payments.settle(booking, 0)  # release the authorisation: the booking is gone
        raise Conflict(f"Your hold {'expired' if booking.status == 'EXPIRED' else 'ended'} while the payment "
                       "was processed; the payment was released. Book the connector again.")
    now, before = utcnow(), trail.snapshot(booking)
    booking.status, booking.confirmed_at = "CONFIRMED", now
    booking.arrive_by = now + timers.duration("ARRIVAL_GRACE")
    timers.schedule("jobs.bookings.arrival_grace", booking.arrive_by, booking.id)
    if booking.reservation_id is not None:  # the same id again: the charger replaces it with the new expiry
        timers.enqueue("jobs.charging.reserve", booking.id)
    return announce_paid(booking, before, method, "booking_confirmed", "Booking confirmed",
                         f"Arrive and scan the QR code on {booking.connector.label} by "
                         f"{zoned(booking.arrive_by, booking.timezone)}.")


def announce_paid(booking: Booking, before: dict | None, method: str, kind: str, title: str, body: str) -> Booking:
    """Tell the driver their paid booking's next step, audit the payment, commit both with the change."""
    notifications.notify(booking.user_id, kind, title, body, link=f"/bookings/{booking.id}",
                         dedupe_key=f"{kind}-{booking.id}", tz=booking.timezone)
    trail.log("booking.pay", booking, before, method=method)
    db.session.commit()
    return booking


def cancel(user: User, booking_id: int) -> Booking:
    """The driver cancels a HELD or CONFIRMED booking; the authorisation is voided."""
    booking = get_for_user(user, booking_id, lock=True)
    if booking.status not in ("HELD", "CONFIRMED"):
        raise Conflict(f"A {booking.status.lower()} booking cannot be cancelled.")
    before = trail.snapshot(booking)
    release(booking, "CANCELLED", "cancelled by driver")
    trail.log("booking.cancel", booking, before)
    db.session.commit()
    return booking


def check_can_start(user: User, booking: Booking, connector: Connector) -> None:
    """QR scanned: the booking must be the user's, CONFIRMED, in its grace and on this free connector."""
    if booking.user_id != user.id:
        raise Forbidden("This booking belongs to someone else.")
    if booking.status == "NO_SHOW":
        raise Conflict("The arrival grace has passed; this booking was released.")
    if booking.status != "CONFIRMED":
        raise Conflict(f"This booking is {booking.status.lower()}; it cannot start charging.")
    if booking.connector_id != connector.id:
        raise Conflict(f"Your booking is for {booking.connector.label}, not {connector.label}.")
    if booking.reservation_refused:
        raise Conflict(f"The charger could not reserve {connector.label} ({booking.reservation_status}). "
                       "Open your booking to take another connector.")
    if not connector.charger.online:
        raise ChargerUnavailable("The charger is offline. Try again in a moment.")
    if connector.status not in ("Available", "Reserved", "Preparing"):
        raise ChargerUnavailable(f"The connector is {connector.status.lower()}.")


def start_charging(user: User, booking_id: int, connector_id: int) -> Booking:
    """Send RemoteStartTransaction for a confirmed booking; StartTransaction will make it CHARGING."""
    booking = get_for_user(user, booking_id, lock=True)  # the no-show timer waits for this decision
    connector = db.session.get(Connector, connector_id)
    if connector is None:
        raise NotFound("No such connector.")
    check_can_start(user, booking, connector)
    now = utcnow()
    if now <= booking.arrive_by:  # the grace is measured at the press; a press after it extends nothing
        booking.start_requested_at = now
    cp_id, number, id_tag = connector.charger.charge_point_id, connector.connector_id, user.id_tag
    trail.log("booking.start", booking, trail.snapshot(booking), charger=cp_id, connector=number)
    db.session.commit()  # never wait on the charger inside a transaction
    if not commands.remote_start(cp_id, number, id_tag):
        raise ChargerUnavailable("The charger refused to start. Check the cable and try again.")
    return booking


def stop_charging(user: User, booking_id: int) -> ChargingSession:
    """The driver stops: RemoteStopTransaction (retried until StopTransaction moves the booking on)."""
    booking = get_for_user(user, booking_id)
    session = booking.session
    if booking.status != "CHARGING" or session is None or session.stopped_at is not None:
        raise Conflict("This booking is not charging.")
    before = trail.snapshot(booking)
    booking.end_reason = "stopped by driver"
    stop_retry.request(session, "driver", enqueue=False)
    session_id = session.id
    trail.log("booking.stop", booking, before, session_id=session_id)
    db.session.commit()
    if stop_retry.attempt(session_id) is False:
        raise ChargerUnavailable("The charger did not accept the stop yet; we keep asking. "
                                 "Unplug at the charger to end the session.")
    return session


# -- timers (called by jobs/) ---------------------------------------------------------------------------
def expire_hold(booking_id: int) -> bool:
    """HELD past its expiry -> EXPIRED; returns whether it changed anything."""
    booking = db.session.execute(select(Booking).where(Booking.id == booking_id).with_for_update()).scalar_one_or_none()
    if booking is None or booking.status not in ("HELD", "EXPIRED"):
        return False
    if booking.status == "HELD" and utcnow() < booking.hold_expires_at:  # RQ may run us up to a second early
        timers.schedule("jobs.bookings.expire_hold", booking.hold_expires_at, booking.id)
        db.session.commit()
        return False
    if booking.status == "HELD":
        before = trail.snapshot(booking)
        booking.status, booking.ended_at, booking.end_reason = "EXPIRED", utcnow(), "hold expired"
        trail.log("booking.expire", booking, before)  # else a read expired it, and wrote its entry
    release_reservation(booking)  # once: it marks the reservation cancelled
    notifications.notify(booking.user_id, "hold_expired", "Hold expired",
                         f"Your hold on {booking.connector.label} expired at "
                         f"{zoned(booking.hold_expires_at, booking.timezone)}.", link="/",
                         dedupe_key=f"expired-{booking.id}", tz=booking.timezone)
    db.session.commit()
    return True


def hold_warning(booking_id: int) -> None:
    """"Pay within N min" shortly before a hold expires (not for a refused reservation: it cannot be paid)."""
    booking = db.session.get(Booking, booking_id)
    if (booking is None or booking.status != "HELD" or utcnow() >= booking.hold_expires_at
            or booking.reservation_refused):
        return
    left = int((booking.hold_expires_at - utcnow()).total_seconds() // 60) + 1
    notifications.notify(booking.user_id, "hold_expiring", "Hold about to expire",
                         f"Pay within {left} min (by {zoned(booking.hold_expires_at, booking.timezone)}) to keep "
                         f"{booking.connector.label}.",
                         link=f"/bookings/{booking.id}", dedupe_key=f"expiring-{booking.id}", tz=booking.timezone)
    db.session.commit()


def arrival_grace(booking_id: int) -> bool:
    """CONFIRMED past arrive-by -> NO_SHOW: release the charger; the session fee is kept as a no-show fee."""
    booking = db.session.execute(select(Booking).where(Booking.id == booking_id).with_for_update()).scalar_one_or_none()
    if booking is None:
        return False
    if booking.status == "CONFIRMED":
        end = grace.deadline(booking)
        if utcnow() <= end:  # early (RQ), or Start was pressed and its StartTransaction may still come
            timers.schedule("jobs.bookings.arrival_grace", end, booking.id)
            db.session.commit()
            return False
    elif booking.status != "NO_SHOW" or _settled(booking):
        return False  # already handled, or moved on (charging, cancelled)
    before = trail.snapshot(booking)
    if booking.reservation_refused:  # the charger refused the reservation: the driver owes nothing
        release(booking, "CANCELLED", "reservation refused")
        trail.log("booking.cancel", booking, before)
        notifications.notify(booking.user_id, "booking_cancelled", "Booking ended, nothing charged",
                             f"{booking.connector.label} could not be reserved ({booking.reservation_status}); "
                             "your payment was released.", link=f"/bookings/{booking.id}",
                             dedupe_key=f"refused-end-{booking.id}", tz=booking.timezone)
        db.session.commit()
        return True
    tariff = booking.connector.charger.station.tariff
    release(booking, "NO_SHOW", "arrival grace passed", fee=tariff.session_fee if tariff else 0)
    trail.log("booking.no_show", booking, before)
    notifications.notify(booking.user_id, "no_show", "Booking released",
                         f"You did not start charging by {zoned(booking.arrive_by, booking.timezone)}. The session "
                         "fee was kept; the rest was released.",
                         link=f"/bookings/{booking.id}", dedupe_key=f"noshow-{booking.id}", tz=booking.timezone)
    db.session.commit()
    return True


def _settled(booking: Booking) -> bool:
    return any(p.kind in ("capture", "void", "refund") for p in booking.payments)


def exit_grace(booking_id: int) -> bool:
    """FINISHING past exit-by -> OVERSTAY: idle fees accrue, staff are alerted."""
    booking = db.session.execute(select(Booking).where(Booking.id == booking_id).with_for_update()).scalar_one_or_none()
    if booking is None or booking.status != "FINISHING":
        return False
    if utcnow() < booking.exit_by:
        timers.schedule("jobs.bookings.exit_grace", booking.exit_by, booking.id)
        db.session.commit()
        return False
    before = trail.snapshot(booking)
    booking.status = "OVERSTAY"
    trail.log("booking.overstay", booking, before)
    notifications.notify(booking.user_id, "overstay", "Please move your car",
                         f"The exit grace ended at {zoned(booking.exit_by, booking.timezone)}; idle fees now apply.",
                         link=f"/bookings/{booking.id}/live", dedupe_key=f"overstay-{booking.id}", tz=booking.timezone)
    alert_staff(booking.connector.charger.station_id, "overstay", f"Overstay on {booking.connector.label}",
                f"Booking #{booking.id} is past its exit grace ({zoned(booking.exit_by, booking.timezone)}).",
                f"/admin/bookings/{booking.id}")
    db.session.commit()
    return True


def sweep() -> None:
    """Safety net run periodically: apply every timer whose moment has passed (after restarts, lost jobs)."""
    now = utcnow()
    for booking_id in db.session.execute(select(Booking.id).where(Booking.status == "HELD",
                                                                  Booking.hold_expires_at < now)).scalars().all():
        expire_hold(booking_id)
    for booking_id in db.session.execute(select(Booking.id).where(
            or_(Booking.status == "CONFIRMED", Booking.status == "NO_SHOW"), Booking.arrive_by < now,
            Booking.amount_refunded == 0, Booking.amount_captured == 0)).scalars().all():
        arrival_grace(booking_id)
    for booking_id in db.session.execute(select(Booking.id).where(Booking.status == "FINISHING",
                                                                  Booking.exit_by < now)).scalars().all():
        exit_grace(booking_id)
    for booking_id in db.session.execute(select(Booking.id).where(Booking.status == "SCHEDULED",
                                                                  Booking.slot_start < now)).scalars().all():
        slot_life.start(booking_id)  # its start job was lost (a restart): the slot starts, or is released
    db.session.commit()
    stop_retry.rearm_lost()  # a stop whose next retry was lost (restart): send it again
    stuck.flag_stuck()
