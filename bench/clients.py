"""Lean asyncio clients for load: an OCPP-J charge point over `websockets` (raw frames, no schema
validation) and one keep-alive HTTP/1.1 connection.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import time
from datetime import datetime, timezone

from bench.common import iso_now


# -- a lean OCPP-J charger (asyncio, raw frames over `websockets`) -------------------------------------------
class CallError(Exception):
    pass


class LeanCharger:
    """One charge point's socket: our CALLs (one outstanding at a time, as OCPP-J requires) and answers to
    the central system's CALLs (RemoteStartTransaction and the like are Accepted). No schema validation,
    no state machine: just enough to load the server."""

    __slots__ = ("cp_id", "url", "ws", "pending", "lock", "closed", "reader", "ids", "on_call", "busy",
                 "failed", "tx_id", "last_ts_ms", "calls_in", "booted", "password")

    def __init__(self, cp_id: str, base_url: str, on_call=None, password: str | None = None):
        self.cp_id = cp_id
        self.password = password  # HTTP Basic (security profile 1) when set
        self.url = f"{base_url.rstrip('/')}/{cp_id}"
        self.ws = None
        self.pending: dict[str, asyncio.Future] = {}
        self.lock = asyncio.Lock()
        self.closed = True
        self.reader = None
        self.ids = itertools.count(1)
        self.on_call = on_call
        self.busy = False  # a MeterValues loop owns this charger (its heartbeats are skipped, as OCPP allows)
        self.failed: str | None = None
        self.tx_id = None
        self.last_ts_ms = 0
        self.calls_in = 0
        self.booted = False

    @property
    def up(self) -> bool:
        """Connected, booted and still open."""
        return self.booted and not self.closed

    async def connect(self, timeout: float = 30.0) -> None:
        import base64

        from websockets.asyncio.client import connect
        headers = None
        if self.password:
            token = base64.b64encode(f"{self.cp_id}:{self.password}".encode()).decode()
            headers = {"Authorization": f"Basic {token}"}
        self.ws = await connect(self.url, subprotocols=["ocpp1.6"], compression=None, ping_interval=None,
                                open_timeout=timeout, close_timeout=2, max_queue=4, max_size=2**16,
                                additional_headers=headers)
        self.closed = False
        self.reader = asyncio.get_running_loop().create_task(self._read())

    async def call(self, action: str, payload: dict, timeout: float = 30.0):
        async with self.lock:
            if self.closed:
                raise ConnectionError("socket closed")
            uid = f"{next(self.ids)}"
            fut = asyncio.get_running_loop().create_future()
            fut.add_done_callback(_retrieve)  # a late failure (socket closed after a timeout) is not an error
            self.pending[uid] = fut
            try:
                await self.ws.send(json.dumps([2, uid, action, payload], separators=(",", ":")))
                async with asyncio.timeout(timeout):
                    return await fut
            finally:
                self.pending.pop(uid, None)

    async def _read(self) -> None:
        from websockets.exceptions import ConnectionClosed
        try:
            async for raw in self.ws:
                try:
                    msg = json.loads(raw)
                    kind = msg[0]
                except (ValueError, IndexError, TypeError):
                    continue
                if kind == 3 or kind == 4:
                    fut = self.pending.get(msg[1])
                    if fut is not None and not fut.done():
                        if kind == 3:
                            fut.set_result(msg[2])
                        else:
                            fut.set_exception(CallError(f"{msg[2]}: {msg[3]}"))
                elif kind == 2:
                    self.calls_in += 1
                    answer = self.on_call(self, msg[2], msg[3]) if self.on_call else _default_answer(msg[2])
                    await self.ws.send(json.dumps([3, msg[1], answer], separators=(",", ":")))
        except ConnectionClosed:
            pass
        finally:
            self.closed = True
            for fut in self.pending.values():
                if not fut.done():
                    fut.set_exception(ConnectionError("socket closed"))

    def next_timestamp(self) -> str:
        """A strictly increasing timestamp per charger (samples are deduplicated on it)."""
        now = int(time.time() * 1000)
        self.last_ts_ms = max(now, self.last_ts_ms + 1)
        return datetime.fromtimestamp(self.last_ts_ms / 1000, timezone.utc).isoformat(
            timespec="milliseconds").replace("+00:00", "Z")

    async def close(self) -> None:
        if self.ws is not None:
            try:
                await self.ws.close()
            except Exception:  # noqa: BLE001 - already gone
                pass
        if self.reader is not None:
            self.reader.cancel()


def _retrieve(fut: asyncio.Future) -> None:
    if not fut.cancelled():
        fut.exception()


def _default_answer(action: str) -> dict:
    if action in ("RemoteStartTransaction", "RemoteStopTransaction", "Reset", "ChangeAvailability",
                  "ChangeConfiguration", "ClearCache", "TriggerMessage", "CancelReservation"):
        return {"status": "Accepted"}
    if action == "UnlockConnector":
        return {"status": "Unlocked"}
    if action == "GetConfiguration":
        return {"configurationKey": []}
    if action == "ReserveNow":
        return {"status": "Accepted"}
    return {}


BOOT = {"chargePointVendor": "Bench", "chargePointModel": "Lean", "firmwareVersion": "1.0"}


def status_payload(status: str = "Available", connector: int = 1) -> dict:
    return {"connectorId": connector, "errorCode": "NoError", "status": status, "timestamp": iso_now()}


# -- a lean HTTP/1.1 keep-alive client (asyncio) ---------------------------------------------------------------
class HttpConn:
    """One keep-alive connection; enough HTTP/1.1 for a Flask app behind gunicorn (Content-Length, chunked)."""

    def __init__(self, host: str, port: int, cookie: str | None = None):
        self.host, self.port, self.cookie = host, port, cookie
        self.reader = self.writer = None

    async def _open(self):
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    def _close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def get(self, path: str, headers: dict | None = None, timeout: float = 30.0) -> tuple[int, bytes]:
        lines = [f"GET {path} HTTP/1.1", f"Host: {self.host}:{self.port}", "Connection: keep-alive"]
        if self.cookie:
            lines.append(f"Cookie: {self.cookie}")
        for k, v in (headers or {}).items():
            lines.append(f"{k}: {v}")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode()
        for attempt in (1, 2):
            try:
                if self.writer is None:
                    await self._open()
                async with asyncio.timeout(timeout):
                    self.writer.write(data)
                    return await self._response()
            except (ConnectionError, asyncio.IncompleteReadError) as exc:
                self._close()
                if attempt == 2:
                    raise ConnectionError(f"{type(exc).__name__}: {exc}")
            except BaseException:
                self._close()
                raise

    async def _response(self) -> tuple[int, bytes]:
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers = {}
        for line in header_lines:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                parts.append(chunk[:-2])
            body = b"".join(parts)
        else:
            body = await self.reader.read()
            self._close()
        if headers.get("connection", "").lower() == "close":
            self._close()
        return status, body
