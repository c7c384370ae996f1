"""Drive an independent OCPP 1.6J charge point (npm ``ocpp-rpc``, strictMode).

``tests/ocpp_rpc_client/client.mjs`` runs ocpp-rpc's ``RPCClient`` with
``strictMode: true``: every CALL it sends or receives and every CALLRESULT it
receives is validated against the OCPP 1.6 JSON schemas shipped with
ocpp-rpc.  This module spawns it and speaks its line protocol (JSON commands on
stdin, JSON events on stdout).

Typical use::

    from tests.support.ocpp_rpc import OcppRpcClient, ensure_installed

    ensure_installed()
    with OcppRpcClient("ws://127.0.0.1:%d/ocpp" % port, "CP1", password="pw") as cp:
        resp = cp.call("BootNotification", {"chargePointVendor": "V",
                                            "chargePointModel": "M"})
        assert resp["status"] == "Accepted"
        cp.set_reply("RemoteStartTransaction", {"status": "Accepted"})
        ...  # make the central system send RemoteStartTransaction
        params = cp.wait_received("RemoteStartTransaction")
        assert cp.violations() == []

What counts as a violation by the central system (``violations()``):

* ``strict_violation`` -- a message from the server failed schema validation:
  an inbound CALL (ocpp-rpc then never runs the handler, answers the server
  with a CALLERROR, and ``wait_received`` for it times out) or an inbound
  CALLRESULT (the ``call()`` raises ``OcppRpcError`` with
  ``strict_violation == "server"``).
* ``bad_message`` -- a frame that is not valid OCPP-J RPC (not JSON, wrong
  shape, CALLRESULT/CALLERROR for an unknown message id, ...).

A ``local_violation`` (a message the *test* asked the client to send, or a
canned reply set with ``set_reply``, fails the schema) is not the server's
fault; those are listed by ``local_violations()`` and an invalid outbound call
raises ``OcppRpcError`` with ``strict_violation == "local"``.
"""

from __future__ import annotations

import json
import subprocess
import time
from typing import Optional

from tests.support.ocpp_rpc_errors import (OcppRpcConnectError, OcppRpcError, OcppRpcHarnessError,
                                           OcppRpcTimeout)
from tests.support.ocpp_rpc_process import CLIENT_DIR, CLIENT_SCRIPT, ClientProcess, ensure_installed

__all__ = [
    "CLIENT_DIR",
    "OcppRpcClient",
    "OcppRpcConnectError",
    "OcppRpcError",
    "OcppRpcHarnessError",
    "OcppRpcTimeout",
    "ensure_installed",
]


class OcppRpcClient(ClientProcess):
    """One ocpp-rpc charge point in a Node subprocess.

    ``url`` is the endpoint *without* the charge point id, e.g.
    ``ws://127.0.0.1:5000/ocpp``; ocpp-rpc connects to ``{url}/{cp_id}``
    offering subprotocol ``ocpp1.6``, with HTTP Basic auth
    (username = cp_id) if ``password`` is given.
    """

    # ------------------------------------------------------------ lifecycle --

    def start(self, timeout: float = 10) -> dict:
        """Spawn the client and wait for the websocket to open; returns the open event.

        Raises OcppRpcConnectError if the connection is refused (``http_status``
        set for e.g. 401/404), OcppRpcTimeout if nothing happens in ``timeout``
        seconds, OcppRpcHarnessError if ``ocpp1.6`` was not negotiated (strict
        validation would be off).
        """
        if self.proc is not None:
            raise OcppRpcHarnessError("already started")
        ensure_installed()
        cmd = [self.node, str(CLIENT_SCRIPT), "--url", self.url, "--id", self.cp_id]
        if self.password is not None:
            cmd += ["--password", self.password]
        if self.ping_interval_ms is not None:
            cmd += ["--ping-interval-ms", str(self.ping_interval_ms)]
        if self.verbose:
            cmd += ["--verbose"]
        self._spawn(cmd)

        deadline = time.monotonic() + timeout
        outcome: Optional[dict] = None
        with self._lock:
            while outcome is None:
                for ev in self.events:
                    if ev.get("event") in ("open", "connect_error", "fatal"):
                        outcome = ev
                        break
                else:
                    if self._eof:
                        outcome = {"event": "_exited"}
                    else:
                        remaining = deadline - time.monotonic()
                        if remaining <= 0:
                            outcome = {"event": "_timeout"}
                        else:
                            self._lock.wait(remaining)
        kind = outcome["event"]
        if kind == "connect_error":
            self._reap()
            raise OcppRpcConnectError(
                f"ocpp-rpc could not connect to {self.url}/{self.cp_id}: "
                f"{outcome.get('error_class')}: {outcome.get('message')}",
                http_status=outcome.get("http_status"), event=outcome)
        if kind == "fatal":
            self._kill()
            raise OcppRpcHarnessError(f"ocpp-rpc client failed: {outcome}\n{self.stderr_text()}")
        if kind == "_exited":
            self._reap()
            raise OcppRpcHarnessError(
                f"ocpp-rpc client exited before connecting (rc={self.proc.poll()}):\n{self.stderr_text()}")
        if kind == "_timeout":
            self._kill()
            raise OcppRpcTimeout(
                f"ocpp-rpc client did not connect to {self.url}/{self.cp_id} within {timeout}s:\n"
                f"{self.stderr_text()}")
        self.open_event = outcome
        if self.open_event.get("protocol") != "ocpp1.6":
            self._kill()
            raise OcppRpcHarnessError(
                f"server negotiated subprotocol {self.open_event.get('protocol')!r}, not 'ocpp1.6': "
                "strict validation would be off")
        return self.open_event

    def close(self, timeout: float = 10) -> Optional[dict]:
        """Close the websocket (code 1000) and wait for the process to exit.

        Returns the close event ({"event": "close", "code": ..., "reason": ...})
        or None if the process was already gone without one. Safe to call twice.
        """
        if self.proc is None:
            return None
        if self.proc.poll() is None and not self._eof:
            try:
                self._send({"cmd": "close", "id": next(self._ids)})
            except OcppRpcHarnessError:
                pass
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._kill()
        self._reap()
        return self.close_event

    def __enter__(self) -> "OcppRpcClient":
        if self.proc is None:
            self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def is_open(self) -> bool:
        return self.open_event is not None and self.close_event is None and not self._eof

    # ------------------------------------------------------------- commands --

    def call(self, action: str, params: Optional[dict] = None, timeout: float = 10) -> dict:
        """Send a CALL (charge point -> central system) and return the CALLRESULT payload.

        Raises OcppRpcError on a CALLERROR from the server, on a CALLRESULT that
        fails the OCPP 1.6 schema (``strict_violation == "server"``; also
        recorded in ``violations()``), on invalid ``params``
        (``strict_violation == "local"``; nothing is sent), on timeout
        (``error_class == "TimeoutError"``) or disconnect.
        """
        cmd_id = next(self._ids)
        q = self._register(cmd_id)
        try:
            self._send({"cmd": "call", "id": cmd_id, "action": action,
                        "params": {} if params is None else params,
                        "timeout_ms": int(timeout * 1000)})
            ev = self._wait_reply(q, timeout + 5, f"call {action}")
        finally:
            self._unregister(cmd_id)
        if ev.get("event") == "result":
            return ev.get("response")
        if ev.get("event") == "error":
            raise OcppRpcError(ev.get("code"), ev.get("message") or "", error_class=ev.get("error_class"),
                               details=ev.get("details"), strict_violation=ev.get("strict_violation", False),
                               event=ev)
        raise OcppRpcHarnessError(f"unexpected answer to call {action}: {ev}")

    def set_reply(self, action: str, response: Optional[dict] = None, *,
                  error_code: Optional[str] = None, error_message: str = "",
                  error_details: Optional[dict] = None, timeout: float = 10) -> None:
        """Set the reply to server-initiated ``action`` calls from now on.

        With ``error_code`` (e.g. "NotSupported") the client answers with a
        CALLERROR instead. Returns once the client has acknowledged it, so a
        server call triggered afterwards is guaranteed to get this reply.
        """
        cmd: dict = {"cmd": "set_reply", "action": action}
        if error_code is not None:
            cmd["error"] = {"code": error_code, "message": error_message, "details": error_details or {}}
        else:
            cmd["response"] = {} if response is None else response
        self._command_acked(cmd, timeout)

    def reset_reply(self, action: str, timeout: float = 10) -> None:
        """Go back to the built-in default reply for ``action``."""
        self._command_acked({"cmd": "reset_reply", "action": action}, timeout)

    def wait_received(self, action: str, timeout: float = 10) -> dict:
        """Params of the next not-yet-consumed server-initiated CALL of ``action``.

        Calls that arrived before this method was called count (they are queued
        per action, oldest first). Raises OcppRpcTimeout, mentioning any strict
        violation for that action (a schema-invalid CALL never reaches the
        handler, so it is not "received").
        """
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                dq = self._received.get(action)
                if dq:
                    return dq.popleft()
                if self._eof:
                    raise OcppRpcHarnessError(
                        f"client exited while waiting for {action}; close={self.close_event}; "
                        f"violations={self._violations_locked()}\n{self.stderr_text()}")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    related = [v for v in self._violations_locked() if v.get("action") == action]
                    raise OcppRpcTimeout(
                        f"no {action} received from the server within {timeout}s"
                        + (f"; but strict violations for it: {related}" if related else ""))
                self._lock.wait(remaining)

    def received(self, action: Optional[str] = None) -> list[dict]:
        """All ``received`` events so far (consumed or not), optionally for one action."""
        with self._lock:
            return [e for e in self.events if e.get("event") == "received"
                    and (action is None or e.get("action") == action)]

    def wait_event(self, name: str, timeout: float = 10, predicate=None) -> dict:
        """Wait for (and return) the first event named ``name`` (matching ``predicate``), past or future."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                for ev in self.events:
                    if ev.get("event") == name and (predicate is None or predicate(ev)):
                        return ev
                if self._eof:
                    raise OcppRpcHarnessError(f"client exited while waiting for event {name!r}")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise OcppRpcTimeout(f"no {name!r} event within {timeout}s")
                self._lock.wait(remaining)

    def wait_closed(self, timeout: float = 10) -> dict:
        """Wait until the connection is closed (e.g. by the server); returns the close event."""
        return self.wait_event("close", timeout)

    # ----------------------------------------------------------- inspection --

    def violations(self) -> list[dict]:
        """Protocol violations by the central system seen so far.

        ``strict_violation`` events (a server CALL or CALLRESULT that fails the
        OCPP 1.6 JSON schema) and ``bad_message`` events (a frame that is not
        valid OCPP-J RPC). An interoperable server keeps this empty.
        """
        with self._lock:
            return self._violations_locked()

    def strict_violations(self) -> list[dict]:
        """Only the ``strict_violation`` events (schema failures of server messages)."""
        with self._lock:
            return [e for e in self.events if e.get("event") == "strict_violation"]

    def local_violations(self) -> list[dict]:
        """Schema failures of messages the test asked this client to send (test bugs)."""
        with self._lock:
            return [e for e in self.events if e.get("event") == "local_violation"]

    def assert_no_violations(self) -> None:
        v = self.violations()
        if v:
            raise AssertionError("ocpp-rpc (strictMode) reported violations by the central system:\n"
                                 + "\n".join(json.dumps(e, indent=1) for e in v))

    # ------------------------------------------------------------ internals --

    def _violations_locked(self) -> list[dict]:
        return [e for e in self.events if e.get("event") in ("strict_violation", "bad_message")]


