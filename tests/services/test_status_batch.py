"""StatusNotifications applied as one set-based batch (services/fleet/presence.py) follow the rules of
one-by-one `chargers.status_notification`: first mention creates the connector, a late notification from
another connection is logged and not applied, a freed connector completes its booking's lifecycle, and a
bad item in a batch fails only itself (services/charging/writebehind.py)."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Charger, ChargerEvent, Connector
from webapp.services.charging import writebehind
from webapp.services.fleet import chargers, presence
from webapp.timeutil import utcnow


def _connector(charger, number):
    db.session.expire_all()
    return db.session.execute(db.select(Connector).where(Connector.charger_id == charger.id,
                                                         Connector.connector_id == number)).scalar_one_or_none()


def _events(charger, kind):
    return db.session.execute(db.select(ChargerEvent.detail).where(ChargerEvent.charger_id == charger.id,
                                                                   ChargerEvent.kind == kind)).scalars().all()


def test_a_batch_applies_statuses_of_many_chargers(app, factory):
    a, b = factory.charger(cp_id="SB-A", connectors=2), factory.charger(cp_id="SB-B", connectors=1)
    now = utcnow()
    presence.record_statuses([
        presence.Status("SB-A", 1, "Charging", "NoError", now, connection_id="c1"),
        presence.Status("SB-A", 0, "Available", "NoError", now),
        presence.Status("SB-B", 1, "Faulted", "GroundFailure", now, info="earth leak", vendor_error_code="E7"),
        presence.Status("SB-B", 3, "Available", "NoError", None),  # first mention: created
    ])
    db.session.commit()
    assert _connector(a, 1).status == "Charging" and _connector(a, 1).status_connection_id == "c1"
    assert _connector(a, 2).status == "Available"
    faulted = _connector(b, 1)
    assert (faulted.status, faulted.error_code, faulted.status_info, faulted.vendor_error_code) == \
        ("Faulted", "GroundFailure", "earth leak", "E7")
    assert _connector(b, 3).status == "Available"
    assert sorted(_events(a, "status")) == ["Available", "Charging"]
    assert _events(b, "fault") == ["Faulted (GroundFailure): earth leak"]


def test_a_late_status_from_another_connection_is_logged_not_applied(app, factory):
    charger = factory.charger(cp_id="SB-L", connectors=1)
    now = utcnow()
    presence.record_statuses([presence.Status("SB-L", 1, "Charging", "NoError", now, connection_id="new")])
    db.session.commit()
    presence.record_statuses([
        presence.Status("SB-L", 1, "Available", "NoError", now - timedelta(minutes=5), connection_id="old"),
    ])
    db.session.commit()
    assert _connector(charger, 1).status == "Charging"
    assert len(_events(charger, "late_message")) == 1
    presence.record_statuses([  # the same connection: arrival order, whatever its clock says
        presence.Status("SB-L", 1, "SuspendedEV", "NoError", now - timedelta(minutes=9), connection_id="new")])
    db.session.commit()
    assert _connector(charger, 1).status == "SuspendedEV"


@pytest.fixture
def batched(app):
    app.config["STATUS_BATCH_MS"] = 20
    yield
    writebehind.drain_all(app)


def test_a_bad_item_fails_only_itself(app, factory, batched):
    charger = factory.charger(cp_id="SB-OK", connectors=1, status="Unavailable")
    good = writebehind._Pending(presence.Status("SB-OK", 1, "Available", "NoError", utcnow(), arrived=utcnow()))
    bad = writebehind._Pending(presence.Status("SB-NOBODY", 1, "Available", "NoError", utcnow(), arrived=utcnow()))
    writebehind._flush_statuses([bad, good])
    assert good.done.is_set() and good.error is None
    assert bad.done.is_set() and bad.error is not None
    assert _connector(charger, 1).status == "Available"


def test_the_handler_returns_once_the_status_is_committed(app, factory, batched):
    charger = factory.charger(cp_id="SB-H", connectors=1, status="Unavailable")
    writebehind.status_notification(presence.Status("SB-H", 1, "Preparing", "NoError", utcnow()))
    assert "status" in app.extensions["chargeway_flushers"]  # it went through the group commit
    db.session.rollback()
    assert _connector(charger, 1).status == "Preparing"


def test_a_batch_of_boots_answers_each_charger(app, factory):
    known = factory.charger(cp_id="SB-BOOT", connectors=1, heartbeat_interval=120, serial_number="SN-1")
    presence.record_statuses([presence.Status("SB-BOOT", 1, "Charging", "NoError", utcnow(), connection_id="x")])
    db.session.commit()
    app.config["OCPP_AUTO_REGISTER"] = True
    answers = presence.record_boots([presence.Boot("SB-BOOT", "VendorWithAVeryLongName", "M1", None, "2.0"),
                                     presence.Boot("SB-NEW", "V", "M", "SN-9", None)])
    db.session.commit()
    assert answers == [("Accepted", 120), ("Accepted", app.config["HEARTBEAT_INTERVAL"])]
    db.session.expire_all()
    assert (known.vendor, known.model, known.serial_number, known.firmware_version) == \
        ("VendorWithAVeryLongN", "M1", "SN-1", "2.0")
    assert known.last_boot is not None and known.last_seen == known.last_boot
    assert _connector(known, 1).status_order_at is None  # the reboot reset the ordering
    assert _events(known, "boot") == ["VendorWithAVeryLongName M1 fw 2.0: Accepted"]


def test_the_boot_handler_goes_through_the_group_commit(app, factory, batched):
    factory.charger(cp_id="SB-BH", connectors=1)
    assert writebehind.boot(presence.Boot("SB-BH", "V", "M", None, None)) == ("Accepted", 300)
    assert "boot" in app.extensions["chargeway_flushers"]


def test_an_accepted_boot_is_online_through_its_socket_in_the_same_commit(app, factory):
    charger = factory.charger(cp_id="SB-ON", connectors=1, online=False)
    charger.connection_id = "sock-1"
    db.session.commit()
    presence.record_boots([presence.Boot("SB-ON", "V", "M", None, None, "sock-1", "node-a"),
                           presence.Boot("SB-NOT-MINE", "V", "M", None, None, "sock-2", "node-a")])
    db.session.commit()
    db.session.expire_all()
    assert (charger.online, charger.node_id) == (True, "node-a")
    assert _events(charger, "online") == ["connected and booted"]


def test_a_boot_puts_no_charger_online_without_its_socket(app, factory):
    released = factory.charger(cp_id="SB-GONE", connectors=1, online=False)  # its socket closed: no owner
    closed = factory.charger(cp_id="SB-CLOSED", connectors=1, online=False)
    closed.connection_id = "sock-9"
    db.session.commit()
    app.config["OCPP_AUTO_REGISTER"] = True
    presence.record_boots([presence.Boot("SB-GONE", "V", "M", None, None, "sock-8", "node-a"),
                           presence.Boot("SB-CLOSED", "V", "M", None, None, "sock-9", "node-a", lambda: False),
                           presence.Boot("SB-REG", "V", "M", None, None, "sock-7", "node-a")])
    db.session.commit()
    db.session.expire_all()
    assert (released.online, released.connection_id) == (False, None)
    assert closed.online is False
    registered = chargers.get_by_cp_id("SB-REG")  # registered by its boot: nobody could own it before
    assert (registered.online, registered.connection_id) == (True, "sock-7")


def test_a_batch_of_accepted_boots_goes_online_in_a_fixed_number_of_statements(app, factory):
    from sqlalchemy import event

    def boots(prefix, n):
        for i in range(n):
            charger = factory.charger(cp_id=f"{prefix}-{i}", connectors=1, online=False)
            charger.connection_id = f"sock-{prefix}-{i}"
        db.session.commit()
        return [presence.Boot(f"{prefix}-{i}", "V", "M", None, None, f"sock-{prefix}-{i}", "node-a") for i in range(n)]

    def statements(items):
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731 - the statement text
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            presence.record_boots(items)
            db.session.commit()
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    few, many = statements(boots("SBF", 2)), statements(boots("SBM", 40))
    assert many == few  # set-based: one charger or forty, the same statements (it was one UPDATE per charger)
    online = db.session.execute(select(Charger.charge_point_id).where(Charger.online.is_(True))).scalars().all()
    assert sorted(online) == sorted([f"SBF-{i}" for i in range(2)] + [f"SBM-{i}" for i in range(40)])
    assert _events(chargers.get_by_cp_id("SBM-7"), "online") == ["connected and booted"]
