"""Hostile but schema-valid frames get a spec answer (never InternalError), the frame limit is in bytes,
and a wrong clock cannot freeze a connector (issue 11 points 5, 7, 8). Real server, real sockets."""
import json
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select
from websockets.exceptions import ConnectionClosed

from tests.conftest import release_db
from webapp.extensions import db
from webapp.models import Charger, Connector
from webapp.timeutil import iso, utcnow

pytestmark = pytest.mark.both_dbs  # 32-bit columns, NUL and surrogates break on PostgreSQL first


@pytest.fixture
def app_overrides():
    return {"HEARTBEAT_INTERVAL": 2, "OFFLINE_MARGIN_SECONDS": 1, "OFFLINE_CHECK_SECONDS": 1,
            "OCPP_PING_INTERVAL": 2, "OCPP_CALL_TIMEOUT": 5.0, "OCPP_MAX_MESSAGE_BYTES": 4096}


@pytest.fixture
def booted(raw, make_charger):
    client = raw("CP-HOST-1", make_charger("CP-HOST-1"))
    client.boot()
    return client


def _status(number=1):
    release_db()
    connector = db.session.execute(select(Connector).join(Charger).where(
        Charger.charge_point_id == "CP-HOST-1", Connector.connector_id == number)).scalar_one()
    db.session.refresh(connector)
    return connector.status


def _notify(client, status, when, number=1):
    answer = client.call("StatusNotification", {"connectorId": number, "errorCode": "NoError",
                                                "status": status, "timestamp": when})
    assert answer[0] == 3, answer


# -- point 5: clocks ---------------------------------------------------------------------------------------
def test_a_status_from_year_9999_does_not_block_later_ones(booted):
    _notify(booted, "Faulted", "9999-12-31T23:59:59Z")
    assert _status() == "Faulted"
    _notify(booted, "Available", iso(utcnow()))
    assert _status() == "Available"


def test_statuses_of_one_connection_apply_in_arrival_order(booted):
    now = utcnow()
    _notify(booted, "Charging", iso(now))
    _notify(booted, "Available", iso(now - timedelta(seconds=30)))  # the charger's clock stepped back
    assert _status() == "Available"


def test_a_new_boot_resets_the_ordering(raw, make_charger):
    password = make_charger("CP-HOST-1")
    first = raw("CP-HOST-1", password)
    first.boot()
    _notify(first, "Faulted", iso(utcnow() + timedelta(minutes=3)))  # a clock 3 min fast: within bounds
    first.close()
    second = raw("CP-HOST-1", password)
    second.boot()
    _notify(second, "Available", iso(utcnow()))
    assert _status() == "Available"


def test_a_late_status_from_an_older_connection_is_still_not_applied(raw, make_charger):
    password = make_charger("CP-HOST-1")
    first = raw("CP-HOST-1", password)
    first.boot()
    _notify(first, "Available", iso(utcnow()))
    first.close()
    second = raw("CP-HOST-1", password)  # reconnects without a boot and replays an old status
    _notify(second, "Charging", iso(utcnow() - timedelta(hours=1)))
    assert _status() == "Available"


# -- point 7: every schema-valid frame gets a spec answer -----------------------------------------------
NOW = "2026-06-01T10:00:00Z"
PCV = "PropertyConstraintViolation"


@pytest.mark.parametrize("action, payload, expect", [
    ("StatusNotification", {"connectorId": -1, "errorCode": "NoError", "status": "Available"}, PCV),
    ("StartTransaction", {"connectorId": 0, "idTag": "TAG", "meterStart": 0, "timestamp": NOW}, PCV),
    ("StartTransaction", {"connectorId": -2, "idTag": "TAG", "meterStart": 0, "timestamp": NOW}, PCV),
    ("MeterValues", {"connectorId": -3, "meterValue": [{"timestamp": NOW, "sampledValue": [{"value": "1"}]}]},
     PCV),
    ("StopTransaction", {"transactionId": 2147483648, "meterStop": 10, "timestamp": NOW}, PCV),
    ("StartTransaction", {"connectorId": 1, "idTag": "TAG", "meterStart": 2 ** 40, "timestamp": NOW}, PCV),
    ("MeterValues", {"connectorId": 1, "transactionId": -(2 ** 33),
                     "meterValue": [{"timestamp": NOW, "sampledValue": [{"value": "1"}]}]}, PCV),
    ("StartTransaction", {"connectorId": 1, "idTag": "TAG", "meterStart": 0,
                          "timestamp": "9999-12-31T23:59:59-01:00"}, PCV),
    ("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available",
                            "timestamp": "0001-01-01T00:00:00+01:00"}, PCV),
    ("Authorize", {"idTag": "A\u0000B"}, "Invalid"),
    ("Authorize", {"idTag": "\ud800"}, "Invalid"),
    ("StartTransaction", {"connectorId": 1, "idTag": "T\u0000\udfff", "meterStart": 0, "timestamp": NOW},
     "Invalid"),
    ("BootNotification", {"chargePointVendor": "V\u0000nd", "chargePointModel": "M\udc00",
                          "firmwareVersion": "\u0000"}, "Accepted"),
    ("DataTransfer", {"vendorId": "\u0000\ud83d", "messageId": "\udfff", "data": "x\u0000"}, "UnknownVendorId"),
])
def test_schema_valid_hostile_frames_get_a_spec_answer(booted, action, payload, expect):
    answer = booted.call(action, payload, unique_id="h1")
    assert answer[1] == "h1"
    if expect == PCV:
        assert answer[0] == 4 and answer[2] == PCV, answer
    else:
        assert answer[0] == 3, answer
        body = answer[2]
        assert (body.get("idTagInfo") or {}).get("status", body.get("status")) == expect, answer
    assert booted.call("Heartbeat", {})[0] == 3  # the socket keeps serving


def test_boot_strings_are_stored_sanitised(booted):
    assert booted.call("BootNotification", {"chargePointVendor": "V\u0000nd", "chargePointModel": "M\ud800"}
                       )[0] == 3
    release_db()
    charger = db.session.execute(select(Charger).where(Charger.charge_point_id == "CP-HOST-1")).scalar_one()
    db.session.refresh(charger)
    assert (charger.vendor, charger.model) == ("V\ufffdnd", "M\ufffd")


def test_json_nested_1000_levels_deep_is_a_formation_violation_and_the_socket_lives(booted):
    booted.send_raw('[2, "deep", "DataTransfer", {"vendorId": "x", "data": ' + "[" * 1000 + "]" * 1000 + "}]")
    answer = booted.recv()
    assert answer[0] == 4 and answer[2] == "FormationViolation", answer
    assert booted.call("Heartbeat", {})[0] == 3


# -- point 8: the frame limit is in bytes ------------------------------------------------------------------
def test_frame_limit_counts_bytes_not_characters(booted, raw, make_charger):
    other = raw("CP-HOST-2", make_charger("CP-HOST-2"))
    other.boot()
    fits = json.dumps([2, "ascii", "DataTransfer", {"vendorId": "X", "data": "x" * 3900}])
    assert len(fits.encode()) <= 4096
    assert booted.call("DataTransfer", {"vendorId": "X", "data": "x" * 3900})[0] == 3
    wide = json.dumps([2, "wide", "DataTransfer", {"vendorId": "X", "data": "€" * 1500}], ensure_ascii=False)
    assert len(wide) < 4096 < len(wide.encode())
    booted.send_raw(wide)
    with pytest.raises(ConnectionClosed) as err:
        booted.recv()
    assert err.value.rcvd is not None and err.value.rcvd.code == 1009
    assert other.call("Heartbeat", {})[0] == 3


@pytest.mark.parametrize("start, stop", [("0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999Z"),
                                         ("9999-12-31T23:59:59Z", "9999-12-31T23:59:59.999Z")])
def test_a_real_session_with_extreme_timestamps_gets_answers(booted, factory, station, start, stop):
    user = factory.user(role="operator")
    user.stations = [station]
    db.session.commit()
    tag = user.id_tag
    answer = booted.call("StartTransaction", {"connectorId": 1, "idTag": tag, "meterStart": 0, "timestamp": start})
    assert answer[0] == 3 and answer[2]["idTagInfo"]["status"] == "Accepted", answer
    tx = answer[2]["transactionId"]
    meter = booted.call("MeterValues", {"connectorId": 1, "transactionId": tx, "meterValue": [
        {"timestamp": stop, "sampledValue": [{"value": "2147483647"}]}]})
    assert meter[0] == 3, meter
    assert booted.call("StopTransaction", {"transactionId": tx, "meterStop": 2 ** 31 - 1, "timestamp": stop}
                       )[0] == 3
    _notify(booted, "Finishing", stop)
    _notify(booted, "Available", iso(utcnow()))
    assert booted.call("Heartbeat", {})[0] == 3


@pytest.mark.parametrize("cp_id, code", [("CP%00X", 400), ("CP%0AX", 404), ("CP%09X", 404)])
def test_a_charger_id_with_control_characters_is_refused_at_the_handshake(live_server, cp_id, code):
    """A NUL anywhere in a request is a 400 before any route (issue 12); other control characters name no charger."""
    response = requests.get(f"{live_server.url}/ocpp/{cp_id}", stream=True, timeout=5, headers={
        "Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Protocol": "ocpp1.6"})
    assert response.status_code == code


def test_meter_registers_are_never_negative(booted, factory, station):
    user = factory.user(role="operator")
    user.stations = [station]
    db.session.commit()
    tag = user.id_tag
    start = booted.call("StartTransaction", {"connectorId": 1, "idTag": tag, "meterStart": -(2 ** 31),
                                             "timestamp": NOW})
    assert start[0] == 4 and start[2] == PCV, start  # else meterStop 2^31-1 gives 2^32 Wh: out of range
    start = booted.call("StartTransaction", {"connectorId": 1, "idTag": tag, "meterStart": 0, "timestamp": NOW})
    stop = booted.call("StopTransaction", {"transactionId": start[2]["transactionId"], "meterStop": -1,
                                           "timestamp": NOW})
    assert stop[0] == 4 and stop[2] == PCV, stop


def test_a_billed_session_metering_2_pow_31_wh_is_answered_and_owed(booted, factory, station):
    """A booked, paid session whose StopTransaction says 2^31-1 Wh: its cost passes 2^31 minor units. The
    charger still gets a CALLRESULT (not InternalError), and the money is captured or owed, never dropped."""
    from tests.admin.conftest import paid_booking
    from webapp.models import Booking, ChargingSession
    from webapp.services.money import ledger

    driver = factory.user()
    connector = db.session.execute(select(Connector).join(Charger).where(
        Charger.charge_point_id == "CP-HOST-1", Connector.connector_id == 1)).scalar_one()
    booking = paid_booking(connector, driver, status="CONFIRMED")
    booking_id, driver_id, tag = booking.id, driver.id, driver.id_tag
    release_db()
    answer = booted.call("StartTransaction", {"connectorId": 1, "idTag": tag, "meterStart": 0, "timestamp": NOW})
    assert answer[0] == 3 and answer[2]["idTagInfo"]["status"] == "Accepted", answer
    stop = booted.call("StopTransaction", {"transactionId": answer[2]["transactionId"], "meterStop": 2 ** 31 - 1,
                                           "timestamp": NOW, "idTag": tag})
    assert stop[0] == 3, stop
    _notify(booted, "Available", iso(utcnow()))
    assert booted.call("Heartbeat", {})[0] == 3
    release_db()
    booking = db.session.get(Booking, booking_id)
    session = db.session.execute(select(ChargingSession).where(ChargingSession.booking_id == booking_id)).scalar_one()
    assert booking.status == "COMPLETED" and session.cost > 2 ** 31
    assert booking.amount_captured + ledger.outstanding(driver_id) == booking.amount_due == session.cost
