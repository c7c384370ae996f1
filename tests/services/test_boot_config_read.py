"""An accepted boot asks for the charger's Smart Charging keys (a GetConfiguration job) unless the keys were
read for the same vendor, model and firmware within SMART_CONFIG_MAX_AGE_SECONDS: a reconnect storm does
not send 10,000 GetConfigurations, a firmware update or old keys still get a fresh read."""
from datetime import timedelta

import pytest

from webapp.extensions import db
from webapp.services.charging import smart
from webapp.services.fleet import chargers, presence
from webapp.services.platform import commands, timers
from webapp.timeutil import iso, utcnow

KEYS = {"SupportedFeatureProfiles": "Core,SmartCharging", "ChargeProfileMaxStackLevel": "8"}


@pytest.fixture
def app_overrides():
    return {"SMART_CONFIG_MAX_AGE_SECONDS": 3600}


def reads():
    return [args for _, func, args in timers.backend().pending() if func == "jobs.smart.read_configuration"]


def charger_read(factory, cp_id, firmware="1.0", read_ago=timedelta(minutes=5), boot_firmware="1.0"):
    c = factory.charger(cp_id=cp_id, connectors=1, online=False, vendor="Acme", model="Wall",
                        firmware_version=firmware)
    c.connection_id = "sock-" + cp_id
    c.smart_config = {**KEYS, smart.READ_MARK: {"at": iso(utcnow() - read_ago),
                                                "boot": smart.boot_identity("Acme", "Wall", boot_firmware)}}
    db.session.commit()
    return c


def boot(cp_id, firmware="1.0", socket_open=None):
    presence.record_boots([presence.Boot(cp_id, "Acme", "Wall", None, firmware, "sock-" + cp_id, "node-a",
                                         socket_open)])
    db.session.commit()


def test_a_reboot_with_the_same_identity_keeps_the_keys_read_recently(app, factory):
    charger_read(factory, "CFG-1")
    boot("CFG-1")
    assert reads() == []
    assert chargers.get_by_cp_id("CFG-1").online  # booted all the same


def test_a_firmware_update_reads_the_keys_again(app, factory):
    charger_read(factory, "CFG-2")
    boot("CFG-2", firmware="2.0")
    assert reads() == [("CFG-2",)]


def test_a_boot_without_firmware_compares_the_stored_firmware(app, factory):
    charger_read(factory, "CFG-3")
    boot("CFG-3", firmware=None)  # the charger leaves firmware out: what we have stored stands
    assert reads() == []


def test_keys_read_too_long_ago_are_read_again(app, factory):
    charger_read(factory, "CFG-4", read_ago=timedelta(hours=2))
    boot("CFG-4")
    assert reads() == [("CFG-4",)]


def test_keys_never_read_or_without_the_mark_are_read(app, factory):
    factory.charger(cp_id="CFG-5", connectors=1, online=False).connection_id = "sock-CFG-5"
    hand_set = factory.charger(cp_id="CFG-6", connectors=1, online=False)
    hand_set.connection_id, hand_set.smart_config = "sock-CFG-6", dict(KEYS)  # set by staff, no read mark
    db.session.commit()
    boot("CFG-5")
    boot("CFG-6")
    assert sorted(reads()) == [("CFG-5",), ("CFG-6",)]


def test_a_zero_max_age_reads_at_every_boot(app, factory):
    app.config["SMART_CONFIG_MAX_AGE_SECONDS"] = 0
    charger_read(factory, "CFG-7")
    boot("CFG-7")
    assert reads() == [("CFG-7",)]


def test_a_boot_committed_after_its_socket_closed_asks_nothing(app, factory):
    factory.charger(cp_id="CFG-8", connectors=1, online=False).connection_id = "sock-CFG-8"
    db.session.commit()
    boot("CFG-8", socket_open=lambda: False)
    assert reads() == []


def test_a_registering_boot_reads_the_keys(app, factory):
    app.config["OCPP_AUTO_REGISTER"] = True
    boot("CFG-NEW")
    assert reads() == [("CFG-NEW",)]


def test_a_read_stores_the_keys_with_when_and_for_which_boot(app, factory, monkeypatch):
    charger_read(factory, "CFG-9", firmware="3.1", read_ago=timedelta(days=3), boot_firmware="3.0")
    monkeypatch.setattr(commands, "get_configuration", lambda cp_id, keys: {
        "configurationKey": [{"key": k, "value": v} for k, v in KEYS.items()] + [{"key": "Other", "value": "x"}]})
    assert smart.read_configuration("CFG-9") == KEYS
    stored = chargers.get_by_cp_id("CFG-9").smart_config
    assert {k: v for k, v in stored.items() if k != smart.READ_MARK} == KEYS
    assert stored[smart.READ_MARK]["boot"] == smart.boot_identity("Acme", "Wall", "3.1")
    assert smart.configuration_fresh(stored, smart.boot_identity("Acme", "Wall", "3.1"))
    assert smart.capable(chargers.get_by_cp_id("CFG-9"))
