"""Malformed frames get the right CALLERROR or close code, and other chargers keep being served."""
import json

import pytest
from websockets.exceptions import ConnectionClosed


@pytest.fixture
def pair(raw, make_charger):
    clients = []
    for cp_id in ("CP-FR-1", "CP-FR-2"):
        client = raw(cp_id, make_charger(cp_id))
        client.boot()
        clients.append(client)
    return clients


def error_of(answer):
    assert answer[0] == 4, answer
    return answer[2]


@pytest.mark.parametrize("frame, code, unique_id", [
    ("this is not json", "FormationViolation", "-1"),
    ('{"a": 1}', "FormationViolation", "-1"),
    ('[7, "u1", "Heartbeat", {}]', "ProtocolError", "u1"),
    ('[2, "u2", "Heartbeat"]', "ProtocolError", "u2"),
    ('[2, "u3", "FlyToTheMoon", {}]', "NotImplemented", "u3"),
    ('[2, "u4", "RemoteStartTransaction", {"idTag": "x"}]', "NotSupported", "u4"),
    ('[2, "u5", "Heartbeat", {"extra": 1}]', "FormationViolation", "u5"),
    ('[2, "u6", "StatusNotification", {"connectorId": 1, "status": "Available"}]', "OccurenceConstraintViolation", "u6"),
    ('[2, "u7", "StatusNotification", {"connectorId": "1", "errorCode": "NoError", "status": "Available"}]',
     "TypeConstraintViolation", "u7"),
    ('[2, "u8", "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Exploded"}]',
     "PropertyConstraintViolation", "u8"),
    ('[2, "u9", "StartTransaction", {"connectorId": 1, "idTag": "A", "meterStart": 0, "timestamp": "tuesday"}]',
     "PropertyConstraintViolation", "u9"),
    ('[2, "u10", "Authorize", {"idTag": "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}]', "PropertyConstraintViolation", "u10"),
    ('[2, "u11", "Heartbeat", []]', "FormationViolation", "u11"),
])
def test_malformed_frame_gets_callerror_and_connection_keeps_serving(pair, frame, code, unique_id):
    first, second = pair
    first.send_raw(frame)
    answer = first.recv()
    assert error_of(answer) == code
    assert answer[1] == unique_id
    # The same socket and the other charger keep being served.
    assert first.call("Heartbeat", {})[0] == 3
    assert second.call("Heartbeat", {})[0] == 3


def test_one_megabyte_frame_closes_with_1009_and_others_are_served(pair):
    first, second = pair
    first.send_raw(json.dumps([2, "big", "DataTransfer", {"vendorId": "X", "data": "x" * 1_000_000}]))
    with pytest.raises(ConnectionClosed) as err:
        first.recv()
    assert err.value.rcvd is not None and err.value.rcvd.code == 1009
    assert second.call("Heartbeat", {})[0] == 3
