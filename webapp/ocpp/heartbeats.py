"""The Heartbeat fast path: a Heartbeat CALL exactly as chargers send it is recognised by one regular
expression and answered without parsing, schema check or dispatch (tests/ocpp/test_heartbeat_fast_path.py
holds it to the full path's answer).

It matches an empty payload (the only valid Heartbeat payload) and a uniqueId of 1-36 printable ASCII
characters other than `"` and `\\`, which JSON writes without escapes, so the id is copied into the answer
as json.dumps would write it; only JSON whitespace between the tokens. Any other frame, including a valid
Heartbeat written differently, takes the full path.
"""
import re
import time
from datetime import UTC, datetime

from ..timeutil import iso

_WS = r"[ \t\n\r]*"
_CALL = re.compile(_WS.join(("", r"\[", "2", ",", r'"([\x20\x21\x23-\x5b\x5d-\x7e]{1,36})"', ",", '"Heartbeat"', ",",
                             r"\{", r"\}", r"\]", "")))


def unique_id(raw) -> str | None:
    """The uniqueId of a Heartbeat CALL the fast path may answer, else None."""
    if not isinstance(raw, str):
        return None
    match = _CALL.fullmatch(raw)
    return match.group(1) if match is not None else None


def reply(unique_id_: str) -> str:
    """The CALLRESULT text, byte for byte what frames.result(unique_id, handlers.heartbeat(...)) writes."""
    return f'[3,"{unique_id_}",{{"currentTime":"{current_time()}"}}]'


_last = (-1, "")  # (millisecond, its text), replaced whole: thousands of heartbeats a second share a few hundred


def current_time() -> str:
    """iso(utcnow()), written once per millisecond."""
    global _last
    ms = time.time_ns() // 1_000_000
    last = _last
    if ms != last[0]:
        last = _last = (ms, iso(datetime.fromtimestamp(ms // 1000, UTC).replace(microsecond=ms % 1000 * 1000)))
    return last[1]
