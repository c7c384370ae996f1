"""Our CALLs to one charger: one outstanding at a time (OCPP-J), each answered through the socket's receive
loop (`resolve`), timed out, checked against the OCPP schema and logged.

`OutboundCalls` keeps no reference to its connection (it is handed what to send with and log to at each
call): a connection and its calls do not keep each other alive after the socket closes.
"""
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable

from simple_websocket import ConnectionClosed

from ..services.errors import CommandFailed
from ..services.platform import redaction
from . import frames
from .schemas import OcppError, validate_result

log = logging.getLogger(__name__)


class OutboundCalls:
    __slots__ = ("cp_id", "_lock", "_pending")

    def __init__(self, cp_id: str):
        self.cp_id = cp_id
        self._lock = threading.Lock()
        self._pending: dict[str, dict] = {}

    def call(self, action: str, payload: dict, timeout: float, send: Callable[[str], None],
             log_pair: Callable[[str, str, str, str, str], None]) -> dict:
        """Send a CALL with `send` and wait for the charger's CALLRESULT payload (the CALL and its answer, or
        the timeout, go to `log_pair`); raises CommandFailed otherwise."""
        deadline = time.monotonic() + timeout
        if not self._lock.acquire(timeout=timeout):
            raise CommandFailed(f"{self.cp_id} is busy with another command")
        try:
            unique_id = uuid.uuid4().hex[:36]
            waiter = {"event": threading.Event(), "frame": None, "raw": None}
            self._pending[unique_id] = waiter
            text = frames.call(unique_id, action, payload)
            try:
                send(text)
            except ConnectionClosed:
                raise CommandFailed(f"{self.cp_id} disconnected")
            answered = waiter["event"].wait(max(0.0, deadline - time.monotonic()))
            self._pending.pop(unique_id, None)
            log_pair("out", action, unique_id, text, waiter["raw"] if answered else json.dumps({"timeout": timeout}))
            if not answered:
                raise CommandFailed(f"{self.cp_id} did not answer {action} within {timeout:g} s")
            frame = waiter["frame"]
            if frame is None:
                raise CommandFailed(f"{self.cp_id} disconnected before answering {action}")
            if frame.type_id == frames.CALLERROR:
                raise CommandFailed(f"{self.cp_id} refused {action}: {frame.error_code} {frame.error_description}")
            try:
                validate_result(action, frame.payload)
            except OcppError as exc:  # a schema message may quote a value: never a secret one
                description = redaction.text(exc.description, redaction.values(action, frame.payload))
                raise CommandFailed(f"{self.cp_id} sent an invalid {action} answer: {description}")
            return frame.payload
        finally:
            self._lock.release()

    def resolve(self, frame: frames.Frame, raw: str) -> None:
        """The charger's CALLRESULT or CALLERROR `frame`: wakes the call waiting for it."""
        waiter = self._pending.get(frame.unique_id)
        if waiter is None:
            log.warning("%s answered unknown or expired call %s", self.cp_id, frame.unique_id)
            return
        waiter["frame"], waiter["raw"] = frame, raw
        waiter["event"].set()

    def fail_all(self) -> None:
        """The socket closed: every waiting call ends at once (as unanswered)."""
        for waiter in list(self._pending.values()):
            waiter["event"].set()
