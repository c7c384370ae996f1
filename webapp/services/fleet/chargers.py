"""Charge point registration, presence (online/offline) and connector status."""
import logging
from datetime import datetime, timedelta

from flask import current_app
from werkzeug.security import check_password_hash
from sqlalchemy import inspect, or_, select, update

from ...extensions import db
from ...models import Charger, Connector
from ...timeutil import utcnow
from ..charging import lifecycle
from ..platform import events

log = logging.getLogger(__name__)


def get_by_cp_id(cp_id: str) -> Charger | None:
    """The charger with this OCPP id, or None."""
    return db.session.execute(select(Charger).where(Charger.charge_point_id == cp_id)).scalar_one_or_none()


def password_check(cp_id: str, password: str | None) -> bool | None:
    """The WebSocket handshake's HTTP Basic check: None for an unknown charger or one without a password
    (it may connect and boot), else whether `password` is right."""
    password_hash = db.session.execute(select(Charger.password_hash).where(Charger.charge_point_id == cp_id)
                                       ).scalar_one_or_none()
    if password_hash is None:
        return None
    return password is not None and check_password_hash(password_hash, password)


def boot(cp_id: str, vendor: str, model: str, serial: str | None, firmware: str | None) -> tuple[str, int]:
    """Handle a BootNotification: returns (registration status, heartbeat interval)."""
    cfg = current_app.config
    charger = get_by_cp_id(cp_id)
    now = utcnow()
    if charger is None:
        if cfg["OCPP_AUTO_REGISTER"]:
            charger = Charger(charge_point_id=cp_id, registration_status="Accepted",
                              heartbeat_interval=cfg["HEARTBEAT_INTERVAL"])
        elif cfg["OCPP_UNKNOWN_STATUS"] == "Pending":
            charger = Charger(charge_point_id=cp_id, registration_status="Pending",
                              heartbeat_interval=cfg["HEARTBEAT_INTERVAL"])
        else:
            log.warning("BootNotification from unknown charger %s rejected", cp_id)
            return "Rejected", cfg["HEARTBEAT_INTERVAL"]
        db.session.add(charger)
        db.session.flush()
    charger.vendor, charger.model = vendor[:20], model[:20]
    charger.serial_number = (serial or charger.serial_number or None)
    charger.firmware_version = firmware or charger.firmware_version
    charger.last_boot = charger.last_seen = now
    # A reboot resets status ordering: whatever the charger's clock said before cannot block what it says now.
    db.session.execute(update(Connector).where(Connector.charger_id == charger.id)
                       .values(status_order_at=None, status_connection_id=None))
    events.record(charger.id, "boot", f"{vendor} {model} fw {firmware or '?'}: {charger.registration_status}")
    return charger.registration_status, charger.heartbeat_interval


def is_accepted(cp_id: str) -> bool:
    charger = get_by_cp_id(cp_id)
    return charger is not None and charger.registration_status == "Accepted"


def connected(cp_id: str, connection_id: str, node_id: str) -> tuple[int, str] | None:
    """A socket for this charger opened: this connection now owns it, but it is online only once it boots
    on it (`booted`). Returns the charger's id and registration status (None for a charger we do not
    know yet)."""
    charger = get_by_cp_id(cp_id)
    if charger is None:
        return None
    if charger.online:
        events.record(charger.id, "offline", "a new socket opened: online again once it boots")
    charger.online, charger.connection_id, charger.node_id = False, connection_id, node_id
    charger.last_seen = utcnow()
    return charger.id, charger.registration_status


def booted(cp_id: str, connection_id: str, node_id: str, registered: bool = False) -> bool:
    """An accepted BootNotification on this connection: online, unless another socket owns the charger or
    none does. A charger without an owner is one whose socket closed (its disconnect released it) and
    stays offline, unless this very boot `registered` it (in the same transaction: no socket could own it
    yet)."""
    owner = Charger.connection_id == connection_id
    if registered:
        owner = or_(owner, Charger.connection_id.is_(None))
    changed = db.session.execute(
        update(Charger).where(Charger.charge_point_id == cp_id, Charger.online.is_(False), owner)
        .values(online=True, connection_id=connection_id, node_id=node_id).returning(Charger.id)
    ).scalar_one_or_none()
    if changed is not None:
        events.record(changed, "online", "connected and booted")
    return changed is not None


def disconnected(cp_id: str, connection_id: str, reason: str) -> bool:
    """The socket closed: offline at once, unless a newer connection already took over."""
    now = utcnow()
    owned = (Charger.charge_point_id == cp_id, Charger.connection_id == connection_id)
    went = db.session.execute(update(Charger).where(*owned, Charger.online.is_(True)).values(online=False)
                              .returning(Charger.id)).scalar_one_or_none()
    if went is not None:
        events.record(went, "offline", reason, occurred_at=now)
    released = db.session.execute(update(Charger).where(*owned).values(connection_id=None, node_id=None)
                                  .returning(Charger.id)).scalar_one_or_none()
    return released is not None


def all_offline(reason: str) -> None:
    """Embedded server start: no socket survived the restart."""
    for charger in db.session.execute(select(Charger).where(Charger.online.is_(True))).scalars():
        charger.online, charger.connection_id, charger.node_id = False, None, None
        events.record(charger.id, "offline", reason)
    db.session.commit()


def heard_again(cp_id: str, connection_id: str) -> bool:
    """A charger marked offline while its booted socket stayed open (it went silent) spoke again on that
    same socket: online. A write for any other socket (closed since, or replaced) changes nothing."""
    changed = db.session.execute(
        update(Charger).where(Charger.charge_point_id == cp_id, Charger.connection_id == connection_id,
                              Charger.online.is_(False))
        .values(online=True).returning(Charger.id)).scalar_one_or_none()
    if changed is not None:
        events.record(changed, "online", "heard from again on its open socket")
    return changed is not None


def detect_offline(now: datetime | None = None) -> list[str]:
    """Mark chargers offline whose last sign of life is older than 2 x heartbeat interval + margin."""
    now = now or utcnow()
    margin = current_app.config["OFFLINE_MARGIN_SECONDS"]
    went = []
    for charger in db.session.execute(select(Charger).where(Charger.online.is_(True))).scalars():
        limit = timedelta(seconds=2 * charger.heartbeat_interval + margin)
        if charger.last_seen is None or now - charger.last_seen > limit:
            # The socket may still be open (half-open TCP): it keeps its connection id, so that it alone
            # can bring the charger back (`heard_again`) and its close still finds it.
            charger.online = False
            events.record(charger.id, "offline", f"silent since {charger.last_seen} (limit {limit})")
            went.append(charger.charge_point_id)
    db.session.commit()
    if went:
        log.info("Chargers gone silent, marked offline: %s", ", ".join(went))
    return went


def get_connector(charger: Charger, number: int, create: bool = True) -> Connector | None:
    """The charger's connector by OCPP number, created on first mention (StatusNotification)."""
    if "connectors" not in inspect(charger).unloaded:  # already loaded: no query
        connector = charger.connector(number)
    else:
        connector = db.session.execute(select(Connector).where(
            Connector.charger_id == charger.id, Connector.connector_id == number)).scalar_one_or_none()
    if connector is None and create and number > 0:
        connector = Connector(charger=charger, connector_id=number, status="Unavailable")
        db.session.add(connector)
        db.session.flush()
    return connector


def status_notification(cp_id: str, connector_id: int, status: str, error_code: str,
                        timestamp: datetime | None, info: str | None = None,
                        vendor_error_code: str | None = None, connection_id: str | None = None) -> Connector | None:
    """Record a StatusNotification; a late one (older than what we hold, from another connection since the
    last boot) is logged but not applied."""
    charger = get_by_cp_id(cp_id)
    arrived = utcnow()
    when = timestamp or arrived
    detail = f"{status}" + (f" ({error_code})" if error_code and error_code != "NoError" else "")
    kind = "fault" if status == "Faulted" else "status"
    events.record(charger.id, kind, detail + (f": {info}" if info else ""), connector_id, occurred_at=when)
    if connector_id == 0:
        return None
    connector = get_connector(charger, connector_id)
    order_at = min(when, arrived + timedelta(seconds=current_app.config["OCPP_CLOCK_SKEW_SECONDS"]))
    same_connection = connection_id is not None and connection_id == connector.status_connection_id
    if connector.status_order_at is not None and not same_connection and order_at < connector.status_order_at:
        events.record(charger.id, "late_message", f"StatusNotification {status} of {when} is older than "
                      f"{connector.status_order_at}; not applied", connector_id)
        return None
    previous = connector.status
    connector.status, connector.error_code = status, error_code
    connector.status_info, connector.vendor_error_code, connector.status_at = info, vendor_error_code, when
    connector.status_order_at, connector.status_connection_id = order_at, connection_id
    db.session.flush()
    lifecycle.connector_status_changed(connector, previous, status)
    return connector
