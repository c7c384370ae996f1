"""The ocpp-rpc client's Node process and its line protocol (JSON commands on stdin, JSON events on
stdout): installing the npm package, spawning the process, matching answers to commands by id, and
reaping it. What a test asks of the charge point is in tests/support/ocpp_rpc.py.
"""
from __future__ import annotations

import collections
import fcntl
import itertools
import json
import os
import queue
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Optional

from tests.support.ocpp_rpc_errors import OcppRpcError, OcppRpcHarnessError, OcppRpcTimeout

REPO_ROOT = Path(__file__).resolve().parents[2]
CLIENT_DIR = REPO_ROOT / "tests" / "ocpp_rpc_client"
CLIENT_SCRIPT = CLIENT_DIR / "client.mjs"
MIN_NODE = (17, 3, 0)

_install_lock = threading.Lock()
_installed = False


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
        # pytest-xdist workers install one at a time (`npm ci` first deletes node_modules).
        with open(CLIENT_DIR / ".install.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            _install(CLIENT_DIR / "node_modules" / "ocpp-rpc")
        _installed = True


def _install(package: Path) -> None:
    """`npm ci` unless the package is there (another worker may have installed it meanwhile)."""
    if not (package / "package.json").is_file():
        npm = shutil.which("npm")
        if npm is None:
            raise OcppRpcHarnessError(
                "npm is not installed; it is needed to run "
                "`npm ci --prefix tests/ocpp_rpc_client --no-audit --no-fund`")
        cmd = [npm, "ci", "--prefix", str(CLIENT_DIR), "--no-audit", "--no-fund"]
        proc = subprocess.run(cmd, cwd=str(REPO_ROOT), capture_output=True, text=True, timeout=600)
        if proc.returncode != 0 or not package.is_dir():
            raise OcppRpcHarnessError(
                f"`{' '.join(cmd)}` failed (exit {proc.returncode}):\n"
                f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")


_CLOSED = object()  # sentinel put on waiter queues when the process is gone


class ClientProcess:
    """A Node subprocess speaking the line protocol; events are kept in order in ``events``."""

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

    def _spawn(self, cmd: list[str]) -> None:
        self.proc = subprocess.Popen(
            cmd, cwd=str(CLIENT_DIR), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, encoding="utf-8", bufsize=1)
        for target in (self._read_stdout, self._read_stderr):
            t = threading.Thread(target=target, daemon=True, name=f"ocpp-rpc-{self.cp_id}-{target.__name__}")
            t.start()
            self._threads.append(t)

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

    def stderr_text(self) -> str:
        return "".join(self._stderr)

    def __del__(self):  # pragma: no cover - best effort
        try:
            if self.proc is not None and self.proc.poll() is None:
                self.proc.kill()
        except Exception:
            pass
