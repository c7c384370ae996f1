"""What the JSON schemas of OCPP 1.6 leave open: 32-bit integers, connector ids, clean strings.

OCPP 1.6 defines `integer` as 32 bit (31 bit resolution, 1 sign bit), and so are our columns; connector
ids are never negative, a transaction starts on a real connector (> 0) and a meter register (meterStart,
meterStop, in Wh) is never negative. Values outside these bounds are
PropertyConstraintViolation. Strings may carry a NUL or an unpaired surrogate (JSON allows the escapes,
PostgreSQL and UTF-8 do not): each becomes U+FFFD, so an idTag with one is simply unknown and a vendor
string is stored as sent, minus what cannot be stored.
"""
from ..textutil import clean_text
from .schemas import OcppError

INT_MIN, INT_MAX = -(2 ** 31), 2 ** 31 - 1


def checked(action: str, payload: dict) -> dict:
    """The payload of a schema-valid CALL with clean strings; raises OcppError for values out of bounds."""
    _check_ints(payload, "")
    connector = payload.get("connectorId")
    if connector is not None and (connector < 0 or (action == "StartTransaction" and connector == 0)):
        raise OcppError("PropertyConstraintViolation",
                        f"connectorId: {connector} is not a connector id"
                        + (" (a transaction starts on a connector > 0)" if connector == 0 else ""),
                        {"field": "connectorId"})
    for field in ("meterStart", "meterStop"):  # an energy register in Wh: negative would make 2^32 Wh sessions
        if payload.get(field, 0) < 0:
            raise OcppError("PropertyConstraintViolation", f"{field}: a meter register is never negative",
                            {"field": field})
    return clean(payload)


def _check_ints(value, where: str) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _check_ints(item, f"{where}/{key}" if where else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_ints(item, f"{where}/{index}")
    elif isinstance(value, int) and not isinstance(value, bool) and not INT_MIN <= value <= INT_MAX:
        raise OcppError("PropertyConstraintViolation",
                        f"{where}: {value} is outside OCPP's 32-bit integer range"[:255], {"field": where})


def clean(value):
    """A copy of `value` with every string cleaned (see clean_text)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {key: clean(item) for key, item in value.items()}
    if isinstance(value, list):
        return [clean(item) for item in value]
    return value
