"""OCPP-J frames: parse an incoming text frame, build outgoing ones."""
import json
from dataclasses import dataclass
from typing import Any

from .schemas import OcppError

CALL, CALLRESULT, CALLERROR = 2, 3, 4


@dataclass
class Frame:
    type_id: int
    unique_id: str
    action: str | None = None  # CALL only
    payload: Any = None  # CALL and CALLRESULT
    error_code: str | None = None  # CALLERROR only
    error_description: str = ""
    error_details: Any = None


class FrameError(OcppError):
    """A frame so broken that it can only be answered with a CALLERROR (uniqueId may be unknown)."""

    def __init__(self, code: str, description: str, unique_id: str = "-1"):
        super().__init__(code, description)
        self.unique_id = unique_id


def parse(raw) -> Frame:
    """Turn a text frame into a Frame or raise FrameError."""
    if isinstance(raw, bytes):
        raise FrameError("FormationViolation", "OCPP-J frames are text, not binary")
    try:
        msg = json.loads(raw)
    except ValueError:
        raise FrameError("FormationViolation", "Frame is not valid JSON")
    except RecursionError:  # nesting deeper than the interpreter's stack; no OCPP payload comes close
        raise FrameError("FormationViolation", "Frame is nested too deeply")
    if not isinstance(msg, list) or not msg:
        raise FrameError("FormationViolation", "Frame must be a JSON array")
    unique_id = msg[1] if len(msg) > 1 and isinstance(msg[1], str) else "-1"
    if len(msg) > 1 and (not isinstance(msg[1], str) or not msg[1] or len(msg[1]) > 36):
        raise FrameError("ProtocolError", "UniqueId must be a string of 1-36 characters")
    type_id = msg[0]
    if type_id == CALL:
        if len(msg) != 4 or not isinstance(msg[2], str):
            raise FrameError("ProtocolError", "CALL must be [2, uniqueId, action, payload]", unique_id)
        return Frame(CALL, unique_id, action=msg[2], payload=msg[3])
    if type_id == CALLRESULT:
        if len(msg) != 3:
            raise FrameError("ProtocolError", "CALLRESULT must be [3, uniqueId, payload]", unique_id)
        return Frame(CALLRESULT, unique_id, payload=msg[2])
    if type_id == CALLERROR:
        if len(msg) < 4:
            raise FrameError("ProtocolError", "CALLERROR must be [4, uniqueId, code, description, details]",
                             unique_id)
        return Frame(CALLERROR, unique_id, error_code=str(msg[2]), error_description=str(msg[3]),
                     error_details=msg[4] if len(msg) > 4 else {})
    raise FrameError("ProtocolError", f"Unknown MessageTypeId {type_id!r}", unique_id)


def call(unique_id: str, action: str, payload: dict) -> str:
    return json.dumps([CALL, unique_id, action, payload], separators=(",", ":"))


def result(unique_id: str, payload: dict) -> str:
    return json.dumps([CALLRESULT, unique_id, payload], separators=(",", ":"))


def error(unique_id: str, code: str, description: str, details: dict | None = None) -> str:
    return json.dumps([CALLERROR, unique_id, code, description[:255], details or {}],
                      separators=(",", ":"))
