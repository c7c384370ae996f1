"""OCPP transactions: Authorize, StartTransaction, MeterValues, StopTransaction.

Every message is idempotent: replays after a reconnect and duplicates count once, late messages keep
their own timestamps, and unknown transactions or idTags are answered per the spec and recorded.
"""
import logging
from datetime import datetime

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import LIVE_STATUSES, Booking, Charger, ChargingSession, Connector, User
from ...timeutil import utcnow
from ..booking import grace
from . import lifecycle, metering
from .stuck import STOP_REASON as FORCE_FINISHED
from ..fleet import chargers
from ..money import pricing
from ..platform import events, listeners
from ..platform.alerts import alert_staff
from ...money import format_money

log = logging.getLogger(__name__)


def id_tag_status(charger: Charger, id_tag: str, connector_number: int | None = None
                  ) -> tuple[str, User | None, Booking | None]:
    """Decide idTagInfo.status: Accepted for a driver with a booking here, or staff; else why not.

    A connector held or booked for someone else refuses every other idTag, staff included: Invalid, as for
    a card with no booking here (1.6 has no "not at this connector"; Blocked would say the card is blocked).
    An Authorize names no connector (OCPP 1.6), so for anyone but the booking's driver it is Accepted only
    while the charger has a connector free for them.
    """
    user = db.session.execute(select(User).where(User.id_tag == id_tag)).scalar_one_or_none()
    if user is None:
        events.record(charger.id, "unknown_id_tag", f"idTag {id_tag!r} is unknown", connector_number)
        return "Invalid", None, None
    if not user.active:
        return "Blocked", user, None
    booking = lifecycle.live_booking_on_charger(user.id, charger.id, connector_number)
    if booking is not None and booking.status in ("CONFIRMED", "CHARGING"):
        return "Accepted", user, booking
    active = db.session.execute(select(ChargingSession.id).where(
        ChargingSession.user_id == user.id, ChargingSession.stopped_at.is_(None),
        ChargingSession.auth_status == "Accepted")).first()
    if active is not None:
        return "ConcurrentTx", user, None
    if not (user.is_admin or (user.role == "operator" and charger.station is not None
                              and user.can_manage(charger.station))):
        events.record(charger.id, "unauthorised_id_tag", f"{user.email} has no booking here", connector_number)
        return "Invalid", user, None
    if connector_number:
        held = _held_for_other(charger.id, connector_number, user.id)
        if held is not None:
            events.record(charger.id, "connector_held", f"{user.email} refused: booking #{held} holds the "
                          "connector (take it over from the console)", connector_number)
            return "Invalid", user, None
    elif not _has_free_connector(charger.id):
        events.record(charger.id, "connector_held", f"{user.email} refused: no connector is free", None)
        return "Invalid", user, None
    return "Accepted", user, None  # a service session by the station's staff, not billed


def _held_for_other(charger_pk: int, connector_number: int, user_id: int) -> int | None:
    """The id of a held or booked booking of another user on this connector (a slot about to start too), if any."""
    now = utcnow()  # a hold or grace that has run out holds nothing, even before a timer has marked it
    return db.session.execute(select(Booking.id).join(Connector, Booking.connector_id == Connector.id).where(
        Connector.charger_id == charger_pk, Connector.connector_id == connector_number, Booking.user_id != user_id,
        or_(and_(Booking.status == "HELD", Booking.hold_expires_at >= now), grace.in_grace_sql(now),
            grace.slot_protected_sql(now)))).scalar()


def _has_free_connector(charger_pk: int) -> bool:
    """Some connector of the charger has no live booking and is Available or Preparing."""
    live = exists().where(Booking.connector_id == Connector.id, Booking.status.in_(LIVE_STATUSES))
    return db.session.execute(select(Connector.id).where(
        Connector.charger_id == charger_pk, Connector.status.in_(("Available", "Preparing")), ~live)).first() is not None


def authorize(cp_id: str, id_tag: str) -> str:
    """Answer an Authorize."""
    charger = chargers.get_by_cp_id(cp_id)
    status, _, _ = id_tag_status(charger, id_tag)
    return status


def start(cp_id: str, connector_id: int, id_tag: str, meter_start: int, timestamp: datetime,
          reservation_id: int | None = None) -> tuple[int, str]:
    """Record a StartTransaction; the same start sent twice returns the same transaction id."""
    charger = chargers.get_by_cp_id(cp_id)
    connector = chargers.get_connector(charger, connector_id)
    existing = _find_start(connector.id, id_tag, timestamp, meter_start)
    if existing is not None:
        events.record(charger.id, "duplicate_message", f"StartTransaction replay -> {existing.id}", connector_id)
        return existing.id, existing.auth_status
    status, user, booking = id_tag_status(charger, id_tag, connector_id)
    if booking is not None and booking.connector_id != connector.id:
        booking = None
    session = ChargingSession(
        connector_id=connector.id, user_id=user.id if user else None, id_tag=id_tag,
        auth_status=status, reservation_id=reservation_id, meter_start=meter_start,
        meter_last=meter_start, started_at=timestamp,
        booking_id=booking.id if (booking and status == "Accepted" and not _has_session(booking.id)) else None,
        currency=(charger.station.tariff.currency if charger.station and charger.station.tariff else "INR"),
    )
    if status != "Accepted":
        session.stopped_at, session.stop_reason = timestamp, "DeAuthorized"
    db.session.add(session)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        existing = _find_start(connector.id, id_tag, timestamp, meter_start)
        if existing is None:
            raise
        return existing.id, existing.auth_status
    if metering.is_late(timestamp):
        events.record(charger.id, "late_message", f"StartTransaction {session.id} from {timestamp}", connector_id)
    if session.booking_id is not None:
        lifecycle.charging_started(session)
    if status == "Accepted":
        listeners.announce("session_started", session)
    return session.id, status


def _has_session(booking_id: int) -> bool:
    return db.session.execute(select(ChargingSession.id).where(ChargingSession.booking_id == booking_id)).first() is not None


def _find_start(connector_pk: int, id_tag: str, timestamp: datetime, meter_start: int):
    return db.session.execute(select(ChargingSession).where(
        ChargingSession.connector_id == connector_pk, ChargingSession.id_tag == id_tag,
        ChargingSession.started_at == timestamp, ChargingSession.meter_start == meter_start)
    ).scalar_one_or_none()


def _locked_session(transaction_id: int) -> ChargingSession | None:
    return db.session.execute(select(ChargingSession).where(ChargingSession.id == transaction_id)
                              .with_for_update()).scalar_one_or_none()


def meter_values(cp_id: str, connector_id: int, transaction_id: int | None, meter_value: list[dict]) -> None:
    """Store one MeterValues (deduplicated) and update the session's energy, power and SoC."""
    metering.record([metering.Reading(cp_id, connector_id, transaction_id, meter_value)])


def stop(cp_id: str, transaction_id: int, meter_stop: int, timestamp: datetime, reason: str | None,
         id_tag: str | None = None, transaction_data: list[dict] | None = None) -> str | None:
    """Close a transaction; returns the idTagInfo status of the idTag that ended it (None: no idTag sent).

    Energy is the larger of meterStop and the highest register stored (MeterValues and this stop's
    transactionData), minus meterStart: a meterStop that lags the stored register loses nothing. A second
    stop of the same transaction is acknowledged and changes nothing."""
    charger = chargers.get_by_cp_id(cp_id)
    session = _locked_session(transaction_id)
    if session is None or session.connector.charger_id != charger.id:
        events.record(charger.id, "unknown_transaction", f"StopTransaction for unknown transaction "
                      f"{transaction_id} (meterStop {meter_stop})")
        return _stopping_tag_status(charger, None, id_tag)
    if session.stopped_at is not None and session.meter_stop is not None:
        if session.stop_reason == FORCE_FINISHED:
            _after_force_finish(charger, session, meter_stop, transaction_data)
        else:
            events.record(charger.id, "duplicate_message", f"StopTransaction replay for {transaction_id}")
        return _stopping_tag_status(charger, session, id_tag)
    if transaction_data:
        fresh = metering.insert_samples(metering.sample_rows(session.connector_id, session.id, transaction_data))
        if fresh.get(session.id):
            metering.apply_samples(session, fresh[session.id])
    session.meter_stop = max(meter_stop, session.meter_start)
    session.meter_last = max(session.meter_last or session.meter_start, session.meter_stop)
    session.stopped_at = max(timestamp, session.started_at)
    session.stop_reason = session.stop_reason or reason or "Local"
    session.energy_wh = session.meter_last - session.meter_start
    if metering.is_late(timestamp):
        events.record(charger.id, "late_message", f"StopTransaction {transaction_id} from {timestamp}")
    lifecycle.charging_stopped(session)
    listeners.announce("session_ended", session)
    return _stopping_tag_status(charger, session, id_tag)


def _after_force_finish(charger: Charger, session: ChargingSession, meter_stop: int,
                        transaction_data: list[dict] | None) -> None:
    """The charger's own StopTransaction for a session staff already force-finished. The driver was told they
    pay for the last reading heard before the charger went silent, so the bill stands; energy the charger
    reports beyond it is not dropped silently: it is recorded with its price and staff are told, once."""
    if transaction_data:  # stored like any reading: nothing a charger sends is lost
        fresh = metering.insert_samples(metering.sample_rows(session.connector_id, session.id, transaction_data))
        if fresh.get(session.id):
            metering.apply_samples(session, fresh[session.id])
    register = max(meter_stop, session.meter_last or session.meter_start)
    session.meter_last = register
    unbilled = register - (session.meter_stop or session.meter_start)
    if unbilled <= 0:
        events.record(charger.id, "late_message", f"StopTransaction {session.id} after force-finish: "
                      "nothing beyond the billed reading")
        return
    booking = session.booking
    tariff = charger.station.tariff if charger.station else None
    price = pricing.energy_cost(tariff, unbilled, *lifecycle.billing_modes(session)) if tariff else 0
    currency = booking.currency if booking is not None else (tariff.currency if tariff else "INR")
    detail = (f"StopTransaction {session.id} after force-finish reports {unbilled / 1000:.3f} kWh beyond the billed "
              f"reading ({format_money(price, currency)} at the tariff), not billed to the driver")
    events.record(charger.id, "unbilled_energy", detail, session.connector.connector_id)
    alert_staff(charger.station_id, "unbilled_energy", f"Unbilled energy on {session.connector.label}", detail
                + ". The driver was billed for the last reading before the force-finish.",
                f"/admin/bookings/{booking.id}" if booking is not None else f"/admin/chargers/{charger.id}",
                dedupe_key=f"unbilled-{session.id}")


def _stopping_tag_status(charger: Charger, session: ChargingSession | None, id_tag: str | None) -> str | None:
    """idTagInfo.status for the idTag a StopTransaction names (None when it names none: OCPP 1.6 makes
    idTagInfo optional for a transaction stopped without an identifier)."""
    if id_tag is None:
        return None
    if session is not None and id_tag == session.id_tag:
        # The card that started it ends it: the session's own authorisation, unless the account was blocked
        # since (id_tag_status would call a driver's card Invalid once its booking is no longer CHARGING).
        return "Blocked" if session.user is not None and not session.user.active else session.auth_status
    # Another card: decided as for a start, after the session closed (so it is no ConcurrentTx of itself).
    connector = session.connector.connector_id if session is not None else None
    status, _, _ = id_tag_status(charger, id_tag, connector)
    return status
