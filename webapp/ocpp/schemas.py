"""OCPP 1.6 JSON-schema validation with the `ocpp` library's schema files, mapped to OCPP-J error codes."""
import json
import os
from datetime import datetime
from functools import lru_cache

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
    datetime.fromisoformat(value.replace("Z", "+00:00"))
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


@lru_cache(maxsize=None)
def _validator(name: str) -> Draft4Validator:
    with open(os.path.join(SCHEMA_DIR, f"{name}.json"), encoding="utf-8-sig") as f:
        schema = json.load(f)
    return Draft4Validator(schema, format_checker=_format_checker)


def validate_call(action: str, payload) -> None:
    """Raise OcppError unless `payload` is a valid CALL of `action` sent by a charger."""
    if action not in ALL_ACTIONS:
        raise OcppError("NotImplemented", f"Unknown action {action!r}")
    if action not in CHARGER_ACTIONS:
        raise OcppError("NotSupported", f"{action} is not sent by a charge point")
    _check(_validator(action), payload)


def validate_result(action: str, payload) -> None:
    """Raise OcppError unless `payload` is a valid CALLRESULT for `action`."""
    _check(_validator(f"{action}Response"), payload)


def _check(validator: Draft4Validator, payload) -> None:
    if not isinstance(payload, dict):
        raise OcppError("FormationViolation", "Payload must be a JSON object")
    error = next(iter(sorted(validator.iter_errors(payload), key=lambda e: e.path)), None)
    if error is None:
        return
    code = _ERROR_CODES.get(error.validator, "PropertyConstraintViolation")
    where = "/".join(str(p) for p in error.absolute_path) or "(payload)"
    raise OcppError(code, f"{where}: {error.message}"[:255], {"field": where})
