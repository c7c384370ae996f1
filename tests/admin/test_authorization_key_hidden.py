"""AuthorizationKey (the charger's HTTP Basic password, write-only per the OCPP 1.6 security whitepaper) is
never shown or logged, even by a charger that returns it in GetConfiguration: not on the console, not in
the audit log, not in the OCPP message log, not in the app's logs."""
import logging

import pytest

from tests.conftest import release_db, wait_until
from webapp.extensions import db
from webapp.models import AuditLog, Charger, OcppMessage

OLD_KEY = "4f6c642d4b65792d3132333435363738"  # hex, as the whitepaper represents the key
NEW_KEY = "4e65772d4b65792d3837363534333231"


@pytest.fixture
def app_overrides():
    return {"HEARTBEAT_INTERVAL": 30, "OCPP_CALL_TIMEOUT": 3.0}


@pytest.fixture
def leaky_charger(world, live_server, sim):
    """OWN-1 as a simulated charger whose GetConfiguration includes its AuthorizationKey."""
    charger = db.session.get(Charger, world.charger.id)
    charger.set_password("sim-secret-16-chars")
    charger.online = False
    db.session.commit()
    device = sim.add("OWN-1", live_server.ws_url, password="sim-secret-16-chars", connectors=1)
    device.harness.call(device.charger.config.__setitem__, "AuthorizationKey", OLD_KEY)
    assert device.connect() == "Accepted"
    wait_until(lambda: db.session.get(Charger, world.charger.id).online, 5, message="OWN-1 online")
    return device


def test_authorization_key_is_hidden_everywhere(operator_client, world, leaky_charger, caplog):
    caplog.set_level(logging.DEBUG)
    release_db()
    page = operator_client.post(f"/admin/chargers/{world.charger.id}/configuration",
                                headers={"HX-Request": "true", "HX-Target": "charger-config"}).get_data(as_text=True)
    assert 'data-config-key="AuthorizationKey"' in page and 'data-config-key="HeartbeatInterval"' in page
    assert OLD_KEY not in page, "the console shows the AuthorizationKey the charger returned"
    assert "hidden" in page
    release_db()
    result = operator_client.post(f"/admin/chargers/{world.charger.id}/commands", headers={
        "HX-Request": "true", "HX-Target": "command-result"}, data={
        "command": "change_configuration", "key": "AuthorizationKey", "value": NEW_KEY}).get_data(as_text=True)
    assert "data-status>Accepted" in result and NEW_KEY not in result
    assert leaky_charger.harness.call(lambda: leaky_charger.charger.config["AuthorizationKey"]) == NEW_KEY, \
        "the charger still gets the real key"
    release_db()
    rows = db.session.execute(db.select(OcppMessage).where(
        OcppMessage.action.in_(("GetConfiguration", "ChangeConfiguration")))).scalars().all()
    stored = [text for m in rows for text in (m.payload, m.answer) if text is not None]
    assert len(rows) == 2 and len(stored) == 4, "both calls, each with its answer, are in the OCPP log"
    assert not [p for p in stored if OLD_KEY in p or NEW_KEY in p], "the OCPP message log keeps the key"
    audit = [str(e.after) for e in db.session.execute(db.select(AuditLog).where(
        AuditLog.action.like("charger.command.%"))).scalars()]
    assert len(audit) == 2 and not [a for a in audit if OLD_KEY in a or NEW_KEY in a], "the audit log keeps the key"
    app_records = [r.getMessage() for r in caplog.records if not r.name.startswith("device")]  # not the charger's own
    assert not [m for m in app_records if OLD_KEY in m or NEW_KEY in m]
