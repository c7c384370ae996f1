"""The compiled fast validator and jsonschema agree on every payload, valid or not."""
import copy

import pytest

from webapp.ocpp import schemas

NOW = "2026-11-21T10:00:00Z"
VALID = {
    "BootNotification": {"chargePointVendor": "Chargeway", "chargePointModel": "Sim-22",
                         "firmwareVersion": "1.2.3"},
    "Heartbeat": {},
    "StatusNotification": {"connectorId": 1, "errorCode": "NoError", "status": "Available", "timestamp": NOW},
    "Authorize": {"idTag": "ABC123"},
    "StartTransaction": {"connectorId": 1, "idTag": "ABC123", "meterStart": 0, "timestamp": NOW},
    "MeterValues": {"connectorId": 1, "transactionId": 7, "meterValue": [{"timestamp": NOW, "sampledValue": [
        {"value": "1200", "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
        {"value": "7.2", "measurand": "Power.Active.Import", "unit": "kW", "phase": "L1", "location": "Outlet"},
        {"value": "55", "measurand": "SoC", "unit": "Percent", "context": "Sample.Periodic"}]}]},
    "StopTransaction": {"transactionId": 7, "meterStop": 1500, "timestamp": NOW, "reason": "Local",
                        "transactionData": [{"timestamp": NOW, "sampledValue": [{"value": "1500"}]}]},
    "DataTransfer": {"vendorId": "Chargeway", "messageId": "SolarProduction", "data": "{\"kw\": 3}"},
    "DiagnosticsStatusNotification": {"status": "Uploaded"},
    "FirmwareStatusNotification": {"status": "Installed"},
}
ODD_VALUES = [None, True, 1, 1.0, 1.5, -1, "", "x" * 600, "2026-11-21", "2026-11-21T10:00:00",
              "2026-11-21T10:00:00+05:30", "not a date", [], {}, [{}], "Wh", "L1"]


def mutations(payload):
    """The payload with each field, at every depth, replaced by odd values, dropped, or joined by an extra."""
    yield payload
    yield {**payload, "unexpected": 1}

    def paths(node, prefix=()):
        if isinstance(node, dict):
            for key, value in node.items():
                yield prefix + (key,)
                yield from paths(value, prefix + (key,))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                yield from paths(value, prefix + (i,))

    for path in list(paths(payload)):
        for value in ODD_VALUES + ["__drop__"]:
            mutated = copy.deepcopy(payload)
            parent = mutated
            for step in path[:-1]:
                parent = parent[step]
            if value == "__drop__":
                del parent[path[-1]]
            else:
                parent[path[-1]] = value
            yield mutated


def verdict(check, name, payload):
    try:
        check(name, payload)
        return "valid"
    except Exception:
        return "invalid"


def reference(name, payload):
    errors = list(schemas._validator(name).iter_errors(payload))
    if errors:
        raise ValueError(errors[0].message)


@pytest.mark.parametrize("action", sorted(VALID))
def test_fast_validator_agrees_with_jsonschema(action):
    assert verdict(reference, action, VALID[action]) == "valid"
    checked = 0
    for payload in mutations(VALID[action]):
        fast = verdict(lambda n, p: schemas._fast_validator(n)(p), action, payload)
        assert fast == verdict(reference, action, payload), payload
        checked += 1
    assert checked > 10 or action == "Heartbeat"


def test_a_rejected_payload_still_names_the_ocpp_error_code():
    with pytest.raises(schemas.OcppError) as missing:
        schemas.validate_call("StartTransaction", {"connectorId": 1, "idTag": "A", "timestamp": NOW})
    with pytest.raises(schemas.OcppError) as wrong_type:
        schemas.validate_call("MeterValues", {"connectorId": "one", "meterValue": []})
    with pytest.raises(schemas.OcppError) as extra:
        schemas.validate_call("Heartbeat", {"unexpected": 1})
    assert (missing.value.code, wrong_type.value.code, extra.value.code) == (
        "OccurenceConstraintViolation", "TypeConstraintViolation", "FormationViolation")
