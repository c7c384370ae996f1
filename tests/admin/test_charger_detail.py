"""Charger detail: status timeline, the bounded OCPP log, GetConfiguration, and every remote command against
a simulated charger, each showing the charger's answer, or the failure when it is not there."""
import pytest

from tests.conftest import release_db, wait_until
from webapp.extensions import db
from webapp.models import AuditLog, Charger, ChargerEvent, OcppMessage
from webapp.services.platform import events

HX = {"HX-Request": "true", "HX-Target": "command-result"}


@pytest.fixture
def app_overrides():
    return {"HEARTBEAT_INTERVAL": 30, "OCPP_CALL_TIMEOUT": 3.0, "OCPP_LOG_KEEP": 30}


@pytest.fixture
def live_charger(world, live_server, sim):
    """OWN-1 as a simulated charger connected to the live server (2 connectors, Available)."""
    charger = db.session.get(Charger, world.charger.id)
    charger.set_password("sim-secret")
    charger.online = False
    db.session.commit()
    device = sim.add("OWN-1", live_server.ws_url, password="sim-secret", connectors=2)
    assert device.connect() == "Accepted"
    device.wait_status(1, "Available")
    wait_until(lambda: db.session.get(Charger, world.charger.id).online, 5, message="OWN-1 online")
    release_db()
    return device


def log_frame(charger_id, direction, action, unique_id, payload):
    db.session.add(OcppMessage(charger_id=charger_id, direction=direction, action=action, unique_id=unique_id,
                               payload=payload))


def command(client, charger_id, **form):
    release_db()
    response = client.post(f"/admin/chargers/{charger_id}/commands", data=form, headers=HX)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_data(as_text=True)


def last_audit():
    db.session.commit()
    return db.session.execute(db.select(AuditLog).order_by(AuditLog.id.desc())).scalars().first()


def test_detail_shows_status_timeline_messages_and_ocpp_url(operator_client, world):
    events.record(world.charger.id, "boot", "Chargeway SimCharger fw 1.0.0: Accepted")
    events.record(world.charger.id, "fault", "Faulted (GroundFailure)", 1)
    for i in range(3):
        log_frame(world.charger.id, "in", "StatusNotification", f"sn-{i}", f'[2,"sn-{i}","StatusNotification",{{}}]')
    log_frame(world.charger.id, "in", "Heartbeat", "hb-0", '[2,"hb-0","Heartbeat",{}]')  # periodic: not shown here
    db.session.commit()
    page = operator_client.get(f"/admin/chargers/{world.charger.id}").get_data(as_text=True)
    assert "Faulted (GroundFailure)" in page and 'data-event="boot"' in page
    assert page.count('data-message="') == 3 and "sn-2" in page and "hb-0" not in page
    assert "ws://localhost/ocpp/OWN-1" in page
    for name in ("remote_start", "remote_stop", "unlock", "reset", "change_availability", "trigger_message",
                 "change_configuration", "clear_cache"):
        assert f'data-command="{name}"' in page


def test_status_fragment_polls_itself(operator_client, world):
    response = operator_client.get(f"/admin/chargers/{world.charger.id}",
                                   headers={"HX-Request": "true", "HX-Target": "charger-status"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.lstrip().startswith('<div id="charger-status"')
    assert 'hx-trigger="every 5s"' in body and "<html" not in body


def test_ocpp_log_is_bounded_and_filterable(operator_client, world):
    for i in range(40):
        log_frame(world.charger.id, "in", "Heartbeat" if i % 2 else "MeterValues", str(i), f"frame-{i}")
    events.trim_log(world.charger.id)
    db.session.commit()
    kept = db.session.execute(db.select(db.func.count(OcppMessage.id))
                              .where(OcppMessage.charger_id == world.charger.id)).scalar_one()
    assert kept == 30  # OCPP_LOG_KEEP
    page = operator_client.get(f"/admin/chargers/{world.charger.id}/messages?action=MeterValues").get_data(as_text=True)
    assert "frame-38" in page and "frame-39" not in page
    fragment = operator_client.get(f"/admin/chargers/{world.charger.id}/messages",
                                   headers={"HX-Request": "true", "HX-Target": "ocpp-log"}).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="ocpp-log"') and "frame-38" in fragment
    assert "frame-39" not in fragment  # a Heartbeat: shown only when asked for
    assert "frame-39" in operator_client.get(f"/admin/chargers/{world.charger.id}/messages?periodic=y").get_data(
        as_text=True)


def test_command_to_an_absent_charger_says_so_and_is_audited(operator_client, world):
    body = command(operator_client, world.charger.id, command="clear_cache")
    assert 'data-outcome="failed"' in body and "OWN-1 is not connected" in body
    entry = last_audit()
    assert entry.action == "charger.command.clear_cache" and entry.user_id == world.operator.id
    assert "not connected" in entry.after["error"] and entry.ip == "127.0.0.1"


def test_invalid_command_input_is_refused_before_sending(operator_client, world):
    body = command(operator_client, world.charger.id, command="unlock", connector_id="9")
    assert "Not sent" in body and "has no connector 9" in body
    body = command(operator_client, world.charger.id, command="reset", type="Sideways")
    assert "Reset type must be one of Soft, Hard" in body
    body = command(operator_client, world.charger.id, command="explode")
    assert "Unknown command" in body
    page = operator_client.post(f"/admin/chargers/{world.charger.id}/commands", data={"command": "explode"})
    assert page.status_code == 422 and "<html" in page.get_data(as_text=True)


def test_every_remote_command_shows_the_chargers_answer(operator_client, world, live_charger):
    cid = world.charger.id
    body = command(operator_client, cid, command="trigger_message", message="Heartbeat")
    assert "Charger answered: <strong data-status>Accepted" in body
    body = command(operator_client, cid, command="change_configuration", key="MeterValueSampleInterval", value="7")
    assert "Accepted" in body and live_charger.charger.meter_interval == 7
    body = command(operator_client, cid, command="change_configuration", key="NumberOfConnectors", value="9")
    assert "data-status>Rejected" in body
    body = command(operator_client, cid, command="clear_cache")
    assert "data-status>Accepted" in body
    body = command(operator_client, cid, command="unlock", connector_id="2")
    assert "data-status>Unlocked" in body
    body = command(operator_client, cid, command="change_availability", connector_id="2", type="Inoperative")
    assert "data-status>Accepted" in body
    live_charger.wait_status(2, "Unavailable")
    body = command(operator_client, cid, command="change_availability", connector_id="2", type="Operative")
    live_charger.wait_status(2, "Available")
    body = command(operator_client, cid, command="remote_stop", transaction_id="424242")
    assert "data-status>Rejected" in body  # no such transaction on the charger
    body = command(operator_client, cid, command="remote_start", connector_id="1", id_tag=world.operator.id_tag)
    assert "data-status>Accepted" in body
    live_charger.wait_status(1, "Charging", timeout=10)
    tx = live_charger.transaction_id(1)
    body = command(operator_client, cid, command="remote_stop", transaction_id=str(tx))
    assert "data-status>Accepted" in body
    live_charger.wait_status(1, "Finishing", timeout=10)
    body = command(operator_client, cid, command="reset", type="Soft")
    assert "data-status>Accepted" in body
    release_db()
    actions = [a for a in db.session.execute(db.select(AuditLog.action).where(
        AuditLog.action.like("charger.command.%"))).scalars()]
    assert {"charger.command.trigger_message", "charger.command.change_configuration", "charger.command.clear_cache",
            "charger.command.unlock", "charger.command.change_availability", "charger.command.remote_stop",
            "charger.command.remote_start", "charger.command.reset"} <= set(actions)


def test_get_configuration_lists_keys_and_each_can_be_changed(operator_client, world, live_charger):
    release_db()
    response = operator_client.post(f"/admin/chargers/{world.charger.id}/configuration",
                                    headers={"HX-Request": "true", "HX-Target": "charger-config"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.lstrip().startswith('<div id="charger-config"')
    assert 'data-config-key="HeartbeatInterval"' in body and 'data-config-key="NumberOfConnectors"' in body
    assert "(read-only)" in body  # NumberOfConnectors
    assert 'name="command" value="change_configuration"' in body
    assert last_audit().action == "charger.command.get_configuration"


def test_a_charger_that_does_not_answer_times_out(operator_client, world, live_charger):
    live_charger.go_silent()
    body = command(operator_client, world.charger.id, command="trigger_message", message="Heartbeat")
    assert 'data-outcome="failed"' in body and "did not answer TriggerMessage within 3 s" in body
    assert "within 3 s" in last_audit().after["error"]


def test_timeline_filter_by_kind(operator_client, world):
    events.record(world.charger.id, "offline", "socket closed")
    events.record(world.charger.id, "status", "Available", 1)
    db.session.commit()
    page = operator_client.get(f"/admin/chargers/{world.charger.id}?kind=offline").get_data(as_text=True)
    assert 'data-event="offline"' in page and 'data-event="status"' not in page
    assert db.session.execute(db.select(db.func.count(ChargerEvent.id))).scalar_one() == 2
