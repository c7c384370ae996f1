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

import collections
import itertools
import json
import os
import queue
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Optional

__all__ = [
    "CLIENT_DIR",
    "OcppRpcClient",
    "OcppRpcConnectError",
    "OcppRpcError",
    "OcppRpcHarnessError",
    "OcppRpcTimeout",
    "ensure_installed",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
CLIENT_DIR = REPO_ROOT / "tests" / "ocpp_rpc_client"
CLIENT_SCRIPT = CLIENT_DIR / "client.mjs"
MIN_NODE = (17, 3, 0)

_install_lock = threading.Lock()
_installed = False


class OcppRpcHarnessError(RuntimeError):
    """The harness itself failed (node missing, process died, bad output...)."""


class OcppRpcConnectError(OcppRpcHarnessError):
    """The websocket connection could not be opened.

    ``http_status`` is the HTTP status of a refused upgrade (e.g. 401) or None.
    """

    def __init__(self, message: str, http_status: Optional[int] = None, event: Optional[dict] = None):
        super().__init__(message)
        self.http_status = http_status
        self.event = event or {}


class OcppRpcTimeout(OcppRpcHarnessError, TimeoutError):
    """Nothing arrived in time."""


class OcppRpcError(Exception):
    """A call() did not produce a CALLRESULT.

    Attributes:
      code              OCPP error code (``rpcErrorCode``): the CALLERROR code
                        sent by the server, or the code of a local validation
                        failure (e.g. "OccurenceConstraintViolation"); None
                        for timeouts / disconnects.
      message           error description.
      error_class       ocpp-rpc error class, e.g. "RPCNotImplementedError",
                        "RPCOccurenceConstraintViolationError", "TimeoutError".
      details           CALLERROR details / ajv validation errors.
      strict_violation  False, "server" (the server's CALLRESULT failed the
                        schema) or "local" (our own CALL failed the schema and
                        was not sent).
      event             the raw event dict.
    """

    def __init__(self, code: Optional[str], message: str, *, error_class: Optional[str] = None,
                 details: Any = None, strict_violation: Any = False, event: Optional[dict] = None):
        super().__init__(f"{code}: {message}" if code else message)
        self.code = code
        self.message = message
        self.error_class = error_class
        self.details = details
        self.strict_violation = strict_violation
        self.event = event or {}


def _node_version(node: str) -> tuple:
    out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    try:
        return tuple(int(p) for p in out.lstrip("v").split(".")[:3])
    except ValueError:
        return (0, 0, 0)


def ensure_installed() -> None:
    """Install the npm client once (``npm ci``) if ``node_modules/ocpp-rpc`` is missing.

    Raises OcppRpcHarnessError with a clear message if node/npm are missing or
    too old, or if ``npm ci`` fails.
    """
    global _installed
    with _install_lock:
        if _installed:
            return
        node = shutil.which("node")
        if node is None:
            raise OcppRpcHarnessError(
                "node is not installed (needed for the ocpp-rpc interop client in "
                "tests/ocpp_rpc_client); install Node.js >= 17.3")
        version = _node_version(node)
        if version < MIN_NODE:
            raise OcppRpcHarnessError(
                f"node {'.'.join(map(str, version))} is too old for ocpp-rpc; need >= 17.3")
        if not (CLIENT_DIR / "node_modules" / "ocpp-rpc" / "package.json").is_file():
            npm = shutil.which("npm")
            if npm is None:
                raise OcppRpcHarnessError(
                    "npm is not installed; it is needed to run "
                    "`npm ci --prefix tests/ocpp_rpc_client --no-audit --no-fund`")
            cmd = [npm, "ci", "--prefix", str(CLIENT_DIR), "--no-audit", "--no-fund"]
            proc = subprocess.run(cmd, cwd=str(REPO_ROOT), capture_output=True, text=True, timeout=600)
            if proc.returncode != 0 or not (CLIENT_DIR / "node_modules" / "ocpp-rpc").is_dir():
                raise OcppRpcHarnessError(
                    f"`{' '.join(cmd)}` failed (exit {proc.returncode}):\n"
                    f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
        _installed = True


_CLOSED = object()  # sentinel put on waiter queues when the process is gone


class OcppRpcClient:
    """One ocpp-rpc charge point in a Node subprocess.

    ``url`` is the endpoint *without* the charge point id, e.g.
    ``ws://127.0.0.1:5000/ocpp``; ocpp-rpc connects to ``{url}/{cp_id}``
    offering subprotocol ``ocpp1.6``, with HTTP Basic auth
    (username = cp_id) if ``password`` is given.
    """

    def __init__(self, url: str, cp_id: str, password: Optional[str] = None, *,
                 ping_interval_ms: Optional[int] = None, verbose: bool = False,
                 node: Optional[str] = None):
        self.url = url
        self.cp_id = cp_id
        self.password = password
        self.ping_interval_ms = ping_interval_ms
        self.verbose = verbose
        self.node = node or shutil.which("node") or "node"

        self.proc: Optional[subprocess.Popen] = None
        self.open_event: Optional[dict] = None
        self.close_event: Optional[dict] = None
        self.events: list[dict] = []          # every event, in order
        self._stderr = collections.deque(maxlen=400)
        self._lock = threading.Condition()
        self._ids = itertools.count(1)
        self._waiters: dict[int, queue.Queue] = {}   # command id -> queue
        self._received: dict[str, collections.deque] = collections.defaultdict(collections.deque)
        self._eof = False
        self._write_lock = threading.Lock()
        self._threads: list[threading.Thread] = []

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
        self.proc = subprocess.Popen(
            cmd, cwd=str(CLIENT_DIR), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, encoding="utf-8", bufsize=1)
        for target in (self._read_stdout, self._read_stderr):
            t = threading.Thread(target=target, daemon=True, name=f"ocpp-rpc-{self.cp_id}-{target.__name__}")
            t.start()
            self._threads.append(t)

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

    def __del__(self):  # pragma: no cover - best effort
        try:
            if self.proc is not None and self.proc.poll() is None:
                self.proc.kill()
        except Exception:
            pass

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

    def stderr_text(self) -> str:
        return "".join(self._stderr)

    # ------------------------------------------------------------ internals --

    def _violations_locked(self) -> list[dict]:
        return [e for e in self.events if e.get("event") in ("strict_violation", "bad_message")]

    def _send(self, obj: dict) -> None:
        if self.proc is None:
            raise OcppRpcHarnessError("client not started")
        if self._eof or self.proc.poll() is not None:
            raise OcppRpcHarnessError(
                f"ocpp-rpc client is not running (close={self.close_event}, rc={self.proc.poll()})")
        line = json.dumps(obj) + "\n"
        with self._write_lock:
            try:
                self.proc.stdin.write(line)
                self.proc.stdin.flush()
            except (BrokenPipeError, OSError, ValueError) as exc:
                raise OcppRpcHarnessError(f"cannot write to ocpp-rpc client: {exc}") from exc

    def _register(self, cmd_id: int) -> queue.Queue:
        q: queue.Queue = queue.Queue()
        with self._lock:
            self._waiters[cmd_id] = q
            if self._eof:
                q.put(_CLOSED)
        return q

    def _unregister(self, cmd_id: int) -> None:
        with self._lock:
            self._waiters.pop(cmd_id, None)

    def _wait_reply(self, q: queue.Queue, timeout: float, what: str) -> dict:
        try:
            ev = q.get(timeout=timeout)
        except queue.Empty:
            raise OcppRpcTimeout(f"ocpp-rpc client gave no answer to {what} within {timeout}s") from None
        if ev is _CLOSED:
            raise OcppRpcError(None, f"connection closed during {what} (close={self.close_event})",
                               error_class="Closed", event={})
        if ev.get("event") == "command_error":
            raise OcppRpcHarnessError(f"client rejected command for {what}: {ev.get('message')}")
        return ev

    def _command_acked(self, cmd: dict, timeout: float) -> None:
        cmd_id = next(self._ids)
        cmd["id"] = cmd_id
        q = self._register(cmd_id)
        try:
            self._send(cmd)
            ev = self._wait_reply(q, timeout, cmd["cmd"])
        finally:
            self._unregister(cmd_id)
        if ev.get("event") != "ack":
            raise OcppRpcHarnessError(f"unexpected answer to {cmd['cmd']}: {ev}")

    def _read_stdout(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        try:
            for line in self.proc.stdout:
                line = line.strip()
                if not line:
                    continue
                try:
                    ev = json.loads(line)
                    if not isinstance(ev, dict):
                        raise ValueError("not an object")
                except ValueError:
                    ev = {"event": "unparsed_output", "line": line}
                self._dispatch(ev)
        finally:
            with self._lock:
                self._eof = True
                for q in self._waiters.values():
                    q.put(_CLOSED)
                self._lock.notify_all()

    def _dispatch(self, ev: dict) -> None:
        with self._lock:
            self.events.append(ev)
            kind = ev.get("event")
            if kind == "received":
                self._received[ev.get("action")].append(ev.get("params"))
            elif kind == "close" and self.close_event is None:
                self.close_event = ev
            elif kind == "open" and self.open_event is None:
                self.open_event = ev
            cmd_id = ev.get("id")
            if cmd_id is not None and kind in ("result", "error", "ack", "command_error"):
                q = self._waiters.get(cmd_id)
                if q is not None:
                    q.put(ev)
            self._lock.notify_all()

    def _read_stderr(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        for line in self.proc.stderr:
            self._stderr.append(line)
            if os.environ.get("OCPP_RPC_CLIENT_ECHO_STDERR"):
                print(f"[{self.cp_id}] {line}", end="", flush=True)

    def _kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        self._reap()

    def _reap(self) -> None:
        if self.proc is None:
            return
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        for t in self._threads:
            t.join(2)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                if stream is not None:
                    stream.close()
            except Exception:
                pass
