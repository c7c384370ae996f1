"""BootNotifications and StatusNotifications of many chargers at once, set-based: what a reconnect storm
sends.

`record_boots` does what `chargers.boot` does for each known charger (its vendor, model, serial and
firmware, last boot and last seen, the connectors' status ordering reset, a "boot" event) with four
statements for the whole batch, an unknown charger going through `chargers.boot` itself (registration);
then an accepted charger is online through its socket (what `chargers.booted` does, in one UPDATE: only
while that socket is open and owns it) in the same commit, and its Smart Charging keys are read in a job
unless they are fresh for this boot identity (`smart.read_configuration_after_boot`).
`record_statuses` applies a batch with the same rules as `chargers.status_notification` (the connector is
created on first mention, a late notification from another connection is logged and not applied, a
freed or faulted connector reaches the charging lifecycle) in a fixed number of statements: the chargers'
ids, their connectors, missing connectors created, one UPDATE of every changed connector and one INSERT
of every event. `record_connects` does what `chargers.connected` does for
opening sockets (the socket owns its charger, offline until it boots, an "offline" event when it was online)
in two statements. `record_disconnects` does what `chargers.disconnected` does for closed sockets (offline
and released when the socket still owns its charger, an "offline" event) in three statements. The caller
commits (services/charging/writebehind.py answers the chargers, or the closing sockets, after it).
"""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, tuple_

from ...extensions import db
from ...models import Charger, ChargerEvent, Connector
from ...timeutil import utcnow
from ..charging import lifecycle, smart
from ..platform import bulk
from . import chargers

_COLUMNS = ("status", "error_code", "status_info", "vendor_error_code", "status_at", "status_order_at",
            "status_connection_id")


@dataclass(slots=True)
class Boot:
    cp_id: str
    vendor: str
    model: str
    serial: str | None
    firmware: str | None
    connection_id: str | None = None  # the socket it came on: online through it when Accepted
    node_id: str | None = None
    # Whether that socket is still open (None: assume it is). A batch can commit after its handler stopped
    # waiting and the socket closed; such a boot is recorded but puts nobody online.
    socket_open: Callable[[], bool] | None = None


def boot_one(item: Boot) -> tuple[str, int]:
    """One BootNotification in the caller's transaction: `chargers.boot`, then online through its socket."""
    table = Charger.__table__
    before = db.session.execute(select(table.c.smart_config, table.c.firmware_version)
                                .where(table.c.charge_point_id == item.cp_id)).first()
    answer = chargers.boot(item.cp_id, item.vendor, item.model, item.serial, item.firmware)
    firmware = item.firmware or (before.firmware_version if before is not None else None)
    _online(item, answer, before.smart_config if before is not None else None,
            smart.boot_identity(item.vendor, item.model, firmware), registered=before is None)
    return answer


def _online(item: Boot, answer: tuple[str, int], smart_config, identity: str, registered: bool = False) -> None:
    # An accepted boot puts the charger online in the same commit, before it reads its answer (a no-op when
    # it is online already, or another socket or none owns it: chargers.booted's conditions), and has its
    # Smart Charging keys read after the answer unless they are fresh for this boot identity.
    if not _may_go_online(item, answer):
        return
    chargers.booted(item.cp_id, item.connection_id, item.node_id, registered)
    smart.read_configuration_after_boot(item.cp_id, smart_config, identity)


def record_boots(items: list[Boot]) -> list[tuple[str, int]]:
    """Apply the BootNotifications in `items`; each one's (registration status, heartbeat interval)."""
    table = Charger.__table__
    known = {r.charge_point_id: r for r in db.session.execute(
        select(table.c.id, table.c.charge_point_id, table.c.registration_status, table.c.heartbeat_interval,
               table.c.serial_number, table.c.firmware_version, table.c.smart_config)
        .where(table.c.charge_point_id.in_({item.cp_id for item in items}))).all()}
    now = utcnow()
    updates, events, answers = {}, [], []
    for item in items:
        row = known.get(item.cp_id)
        if row is None:
            answers.append(boot_one(item))
            continue
        updates[row.id] = {"id": row.id, "vendor": item.vendor[:20], "model": item.model[:20],
                           "serial_number": item.serial or row.serial_number or None,
                           "firmware_version": item.firmware or row.firmware_version, "last_boot": now,
                           "last_seen": now}
        events.append(_event(row.id, "boot", f"{item.vendor} {item.model} fw {item.firmware or '?'}: "
                             f"{row.registration_status}", None, now, now))
        answers.append((row.registration_status, row.heartbeat_interval))
    if updates:
        bulk.update(table, list(updates.values()))
        # A reboot resets status ordering: whatever the charger's clock said before cannot block what it says now.
        db.session.execute(Connector.__table__.update().where(Connector.charger_id.in_(list(updates)))
                           .values(status_order_at=None, status_connection_id=None))
    accepted = [(item, known[item.cp_id]) for item, answer in zip(items, answers)
                if item.cp_id in known and _may_go_online(item, answer)]
    events += _online_many([item for item, _ in accepted], now)
    bulk.insert(ChargerEvent.__table__, events)
    for item, row in accepted:
        smart.read_configuration_after_boot(
            item.cp_id, row.smart_config, smart.boot_identity(item.vendor, item.model, item.firmware or row.firmware_version))
    return answers


def _may_go_online(item: Boot, answer: tuple[str, int]) -> bool:
    """An accepted boot on a socket that is still open."""
    if answer[0] != "Accepted" or item.connection_id is None:
        return False
    return item.socket_open is None or item.socket_open()


def _online_many(items: list[Boot], now: datetime) -> list[dict]:
    """`chargers.booted` for known chargers, set-based: each one its socket owns and that is offline goes
    online (one UPDATE per node, in practice one); their "online" events, for the caller to insert."""
    table = Charger.__table__
    events = []
    for node_id in {item.node_id for item in items}:
        pairs = {(item.cp_id, item.connection_id) for item in items if item.node_id == node_id}
        went = db.session.execute(table.update().where(
            table.c.charge_point_id.in_({cp_id for cp_id, _ in pairs}),
            tuple_(table.c.charge_point_id, table.c.connection_id).in_(pairs), table.c.online.is_(False))
            .values(online=True, node_id=node_id).returning(table.c.id)).scalars().all()
        events += [_event(charger_id, "online", "connected and booted", None, now, now) for charger_id in went]
    return events


@dataclass(slots=True)
class Status:
    cp_id: str
    connector_id: int
    status: str
    error_code: str
    timestamp: datetime | None
    info: str | None = None
    vendor_error_code: str | None = None
    connection_id: str | None = None
    arrived: datetime | None = None


def record_statuses(items: list[Status]) -> list[None]:
    """Apply the StatusNotifications in `items` (in order) and add their events to the transaction."""
    skew = timedelta(seconds=current_app.config["OCPP_CLOCK_SKEW_SECONDS"])
    ids = dict(db.session.execute(select(Charger.charge_point_id, Charger.id).where(
        Charger.charge_point_id.in_({item.cp_id for item in items}))).all())
    state = _connectors(ids, items)
    events, changed, reactions = [], {}, []
    for item in items:
        charger_id = ids[item.cp_id]  # a KeyError fails the batch: the items are redone one by one
        arrived = item.arrived or utcnow()
        when = item.timestamp or arrived
        detail = item.status + (f" ({item.error_code})" if item.error_code and item.error_code != "NoError" else "")
        events.append(_event(charger_id, "fault" if item.status == "Faulted" else "status",
                             detail + (f": {item.info}" if item.info else ""), item.connector_id, when, arrived))
        if item.connector_id == 0:
            continue
        row = state[(charger_id, item.connector_id)]
        order_at = min(when, arrived + skew)
        same_connection = item.connection_id is not None and item.connection_id == row["status_connection_id"]
        if row["status_order_at"] is not None and not same_connection and order_at < row["status_order_at"]:
            events.append(_event(charger_id, "late_message", f"StatusNotification {item.status} of {when} is "
                                 f"older than {row['status_order_at']}; not applied", item.connector_id, arrived,
                                 arrived))
            continue
        reactions.append((row["id"], row["status"], item.status))
        row.update(status=item.status, error_code=item.error_code, status_info=item.info,
                   vendor_error_code=item.vendor_error_code, status_at=when, status_order_at=order_at,
                   status_connection_id=item.connection_id)
        changed[row["id"]] = row
    bulk.update(Connector.__table__, [{"id": row["id"], **{c: row[c] for c in _COLUMNS}} for row in changed.values()])
    bulk.insert(ChargerEvent.__table__, events)
    for connector_id, previous, status in reactions:
        if (status == "Available" and previous != "Available") or status == "Faulted":
            connector = db.session.get(Connector, connector_id, populate_existing=True)
            lifecycle.connector_status_changed(connector, previous, status)
    return [None] * len(items)


def _connectors(ids: dict[str, int], items: list[Status]) -> dict[tuple[int, int], dict]:
    """The named connectors' current status, keyed by (charger id, number); missing ones are created."""
    wanted = {(ids[i.cp_id], i.connector_id) for i in items if i.connector_id > 0 and i.cp_id in ids}
    table = Connector.__table__
    rows = db.session.execute(select(table.c.id, table.c.charger_id, table.c.connector_id, table.c.status,
                                     table.c.status_order_at, table.c.status_connection_id)
                              .where(table.c.charger_id.in_({charger_id for charger_id, _ in wanted}))).mappings()
    state = {(r["charger_id"], r["connector_id"]): dict(r) for r in rows}
    missing = [Connector(charger_id=charger_id, connector_id=number, status="Unavailable")
               for charger_id, number in sorted(wanted - state.keys())]
    if missing:
        db.session.add_all(missing)
        db.session.flush()
        for c in missing:
            state[(c.charger_id, c.connector_id)] = {"id": c.id, "charger_id": c.charger_id,
                                                     "connector_id": c.connector_id, "status": c.status,
                                                     "status_order_at": None, "status_connection_id": None}
    return state


def _event(charger_id, kind, detail, connector_id, occurred_at, created_at) -> dict:
    return {"charger_id": charger_id, "kind": kind, "detail": detail[:500], "connector_id": connector_id,
            "occurred_at": occurred_at, "created_at": created_at}


@dataclass(slots=True)
class Disconnect:
    cp_id: str
    connection_id: str
    reason: str


def record_disconnects(items: list[Disconnect]) -> list[bool]:
    """Closed sockets: each charger its socket still owns is offline (with an "offline" event) and released;
    a charger a newer socket took over is left alone. Whether each item released its charger."""
    if len({i.cp_id for i in items}) < len(items):  # two sockets of one charger: which one owned it, one by one
        return [chargers.disconnected(i.cp_id, i.connection_id, i.reason) for i in items]
    table = Charger.__table__
    owned = (table.c.charge_point_id.in_({i.cp_id for i in items}),
             tuple_(table.c.charge_point_id, table.c.connection_id).in_({(i.cp_id, i.connection_id) for i in items}))
    went = dict(db.session.execute(table.update().where(*owned, table.c.online.is_(True)).values(online=False)
                                   .returning(table.c.charge_point_id, table.c.id)).all())
    released = set(db.session.execute(table.update().where(*owned).values(connection_id=None, node_id=None)
                                      .returning(table.c.charge_point_id)).scalars())
    now = utcnow()
    bulk.insert(ChargerEvent.__table__, [_event(went[i.cp_id], "offline", i.reason, None, now, now)
                                         for i in items if i.cp_id in went])
    return [i.cp_id in released for i in items]


@dataclass(slots=True)
class Connect:
    cp_id: str
    connection_id: str
    node_id: str


def record_connects(items: list[Connect]) -> list[tuple[int, str] | None]:
    """Opened sockets, in order: each owns its charger, offline until it boots on it (an "offline" event when
    the charger was online). Each one's (charger id, registration status), None for an unknown charger."""
    table = Charger.__table__
    known = {r.charge_point_id: r for r in db.session.execute(
        select(table.c.id, table.c.charge_point_id, table.c.online, table.c.registration_status)
        .where(table.c.charge_point_id.in_({i.cp_id for i in items}))).all()}
    now = utcnow()
    updates = {}  # by charger id: of two sockets of one charger, the later owns it
    for item in items:
        if item.cp_id in known:
            updates[known[item.cp_id].id] = {"id": known[item.cp_id].id, "online": False, "last_seen": now,
                                             "connection_id": item.connection_id, "node_id": item.node_id}
    bulk.update(table, list(updates.values()))
    bulk.insert(ChargerEvent.__table__, [
        _event(r.id, "offline", "a new socket opened: online again once it boots", None, now, now)
        for r in known.values() if r.online])
    return [(known[i.cp_id].id, known[i.cp_id].registration_status) if i.cp_id in known else None for i in items]
