"""OCPP 1.6 JSON-schema validation with the `ocpp` library's schema files, mapped to OCPP-J error codes.

Every CALL is first checked by a validator compiled to Python (fastjsonschema, about 20x faster than
jsonschema on MeterValues); only a payload it rejects goes through jsonschema, which names the failing
keyword so the CALLERROR carries the right OCPP-J error code.
"""
import json
import os
from datetime import datetime, timezone
from functools import lru_cache

import fastjsonschema
import ocpp
from jsonschema import Draft4Validator, FormatChecker
from ocpp.v16.enums import Action

SCHEMA_DIR = os.path.join(os.path.dirname(ocpp.__file__), "v16", "schemas")

#: Actions a charge point sends to the central system (Core, Firmware Management, Reservation).
CHARGER_ACTIONS = {
    "Authorize", "BootNotification", "DataTransfer", "DiagnosticsStatusNotification",
    "FirmwareStatusNotification", "Heartbeat", "MeterValues", "StartTransaction",
    "StatusNotification", "StopTransaction",
}
ALL_ACTIONS = {a.value for a in Action}

# How a schema keyword failure maps to an OCPP-J 1.6 CallError code.
_ERROR_CODES = {
    "required": "OccurenceConstraintViolation",
    "minItems": "OccurenceConstraintViolation",
    "maxItems": "OccurenceConstraintViolation",
    "type": "TypeConstraintViolation",
    "additionalProperties": "FormationViolation",
}

_format_checker = FormatChecker(formats=())


@_format_checker.checks("date-time", raises=ValueError)
def _is_datetime(value) -> bool:
    if not isinstance(value, str):
        return True
    if "T" not in value:
        raise ValueError("not an ISO 8601 date-time")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    try:  # the instant must exist in UTC too (9999-12-31T23:00-05:00 does not): we store UTC
        if parsed.tzinfo is not None:
            parsed.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError("date-time outside years 1-9999 in UTC")
    return True


@_format_checker.checks("uri")
def _is_uri(value) -> bool:
    return not isinstance(value, str) or ":" in value


class OcppError(Exception):
    """An error to send back as a CALLERROR."""

    def __init__(self, code: str, description: str, details: dict | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.details = details or {}


def _format(check):
    """A format check as fastjsonschema wants it: True or False, never an exception."""
    def accepts(value) -> bool:
        try:
            return check(value) is not False
        except ValueError:
            return False
    return accepts


@lru_cache(maxsize=None)
def _schema(name: str) -> dict:
    with open(os.path.join(SCHEMA_DIR, f"{name}.json"), encoding="utf-8-sig") as f:
        return json.load(f)


@lru_cache(maxsize=None)
def _validator(name: str) -> Draft4Validator:
    return Draft4Validator(_schema(name), format_checker=_format_checker)


@lru_cache(maxsize=None)
def _fast_validator(name: str):
    return fastjsonschema.compile(_schema(name), formats={"date-time": _format(_is_datetime),
                                                          "uri": _format(_is_uri)})


def validate_call(action: str, payload) -> None:
    """Raise OcppError unless `payload` is a valid CALL of `action` sent by a charger."""
    if action not in ALL_ACTIONS:
        raise OcppError("NotImplemented", f"Unknown action {action!r}")
    if action not in CHARGER_ACTIONS:
        raise OcppError("NotSupported", f"{action} is not sent by a charge point")
    _check(action, payload)


def validate_result(action: str, payload) -> None:
    """Raise OcppError unless `payload` is a valid CALLRESULT for `action`."""
    _check(f"{action}Response", payload)


def _check(name: str, payload) -> None:
    if not isinstance(payload, dict):
        raise OcppError("FormationViolation", "Payload must be a JSON object")
    try:
        _fast_validator(name)(payload)
        return
    except fastjsonschema.JsonSchemaValueException:
        pass
    error = next(iter(sorted(_validator(name).iter_errors(payload), key=lambda e: e.path)), None)
    if error is None:  # the two validators disagree: the stricter one wins
        raise OcppError("FormationViolation", "Payload does not match the OCPP 1.6 schema")
    code = _ERROR_CODES.get(error.validator, "PropertyConstraintViolation")
    where = "/".join(str(p) for p in error.absolute_path) or "(payload)"
    raise OcppError(code, f"{where}: {error.message}"[:255], {"field": where})
