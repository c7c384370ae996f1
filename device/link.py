"""The charger's side of the OCPP 1.6J WebSocket: connect, boot, heartbeat, reconnect.

``OcppLink`` extends ``ocpp.v16.ChargePoint`` with what a real charge point's
communication module does:

* opens ``<base_url>/<cp_id>`` with subprotocol ``ocpp1.6`` and, when a password is
  set, HTTP Basic ``cp_id:password`` (OCPP security profile 1);
* boots, retries a Pending/Rejected boot after the returned interval, heartbeats;
* reconnects with backoff when the socket goes away;
* hands transaction messages to an ``Outbox`` that queues them while they cannot be
  delivered and replays them after the next accepted boot (see ``device.outbox``).

Handlers run inside the receive loop of the ocpp library, so a handler must not await a
CALL of its own: it hands follow-up work to ``self.later()``, which runs once the
CALLRESULT has been sent.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from urllib.parse import quote

from ocpp.exceptions import OCPPError
from ocpp.messages import MessageType, unpack
from ocpp.v16 import ChargePoint, call
from ocpp.v16.enums import RegistrationStatus
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from device.connector import iso
from device.outbox import LinkDown, Outbox, wire

log = logging.getLogger("device")
wire_log = logging.getLogger("device.wire")  # every frame; quiet unless asked for

MAX_BACKOFF_S = 30.0


class OcppLink(ChargePoint):
    """WebSocket lifecycle and message plumbing; the charger logic lives in subclasses."""

    def __init__(self, cp_id, base_url, password=None, response_timeout=10.0,
                 heartbeat_interval=None, reconnect_delay=1.0):
        super().__init__(cp_id, None, response_timeout=response_timeout, logger=wire_log)
        # Several base URLs (comma-separated or a list) mean several central-system nodes: the charger
        # uses the first and moves to the next one each time a connection attempt fails or drops.
        bases = base_url.split(",") if isinstance(base_url, str) else list(base_url)
        self.urls = [f"{b.strip().rstrip('/')}/{quote(cp_id, safe='')}" for b in bases if b.strip()]
        self.url = self.urls[0]
        self.password = password
        self.heartbeat_override = heartbeat_interval
        self.heartbeat_interval = heartbeat_interval or 60
        self.reconnect_delay = reconnect_delay
        self.received: list[tuple[str, dict]] = []
        self.sent: list[tuple[str, dict, dict | None]] = []
        self.registration: str | None = None
        self.online = False
        self.silent = False
        self.boots = 0
        self._ws = None
        self._lost = asyncio.Event()
        self._closing = False
        self._drop_delay: float | None = None
        self._conn_tasks: set[asyncio.Task] = set()
        self._tasks: set[asyncio.Task] = set()
        self._deferred: list = []
        self.scripted: dict[str, list[str]] = {}  # action -> answers for its next CALLs (script_answers)
        self._heartbeat_task: asyncio.Task | None = None
        self.outbox = Outbox(self)

    # ---- hooks for subclasses -------------------------------------------------------
    def boot_payload(self) -> call.BootNotification:
        raise NotImplementedError

    async def after_boot(self) -> None:
        """Called once a boot is Accepted and the queue has been replayed."""

    def transaction_answered(self, placeholder: int, response) -> None:
        """A StartTransaction sent with ``placeholder`` has been answered (or refused: None)."""

    # ---- task helpers -----------------------------------------------------------------
    def spawn(self, coro, conn_bound=False) -> asyncio.Task:
        """Run ``coro`` in the background, kept alive until done; cancelled on disconnect."""
        task = asyncio.ensure_future(coro)
        bucket = self._conn_tasks if conn_bound else self._tasks
        bucket.add(task)
        task.add_done_callback(bucket.discard)
        task.add_done_callback(_log_task_error)
        return task

    def later(self, coro) -> None:
        """Run ``coro`` after the CALLRESULT for the CALL being handled has been sent."""
        self._deferred.append(coro)

    async def route_message(self, raw_msg):
        try:
            msg = unpack(raw_msg)
            if msg.message_type_id == MessageType.Call:
                self.received.append((msg.action, msg.payload))
                if self.scripted.get(msg.action):
                    await self._scripted_answer(msg, self.scripted[msg.action].pop(0))
                    return
        except OCPPError:
            pass  # the library logs and drops it
        self._deferred = []
        try:
            await super().route_message(raw_msg)
        finally:
            deferred, self._deferred = self._deferred, []
            for coro in deferred:
                self.spawn(coro)

    async def script_answers(self, action: str, *answers: str) -> None:
        """Answer the next CALLs of ``action`` as scripted, one answer each, without acting on them:
        a status ("Rejected", "Accepted": said but not done) or "silent" (never answered). Then the
        charger's own handler answers again."""
        self.scripted.setdefault(action, []).extend(answers)

    async def _scripted_answer(self, msg, answer: str) -> None:
        log.info("%s: scripted answer %s to %s", self.id, answer, msg.action)
        if answer != "silent":
            await self._send(msg.create_call_result({"status": answer}).to_json())

    # ---- connection lifecycle -----------------------------------------------------------
    def can_send(self) -> bool:
        return self.online and not self.silent and self.registration == RegistrationStatus.accepted

    async def connect(self) -> str | None:
        """Open the socket and boot; return the first boot's status. Raises if it cannot connect."""
        if self.online:
            return self.registration
        self._closing = False
        await self._open()
        return await self._boot_and_settle()

    async def run(self) -> None:
        """Connect and stay connected until ``disconnect()`` (used by the CLI)."""
        self._closing = False
        self.spawn(self._reconnect(0.0))
        while not self._closing:
            await asyncio.sleep(0.5)

    async def disconnect(self) -> None:
        """Close the socket for good and stop every background task."""
        self._closing = True
        for task in list(self._conn_tasks) + list(self._tasks):
            if task is not asyncio.current_task():
                task.cancel()
        if self._ws is not None:
            await self._ws.close()
        self.online = False

    async def drop_connection(self, seconds: float = 5.0) -> None:
        """Kill the TCP connection without a close frame and reconnect after ``seconds``."""
        if self._ws is None or not self.online:
            return
        self._drop_delay = seconds
        lost = self._lost
        self._ws.transport.abort()
        await lost.wait()

    async def reboot(self, delay: float = 1.0) -> None:
        """Close the socket cleanly, then reconnect and boot after ``delay`` seconds."""
        if self._ws is None or not self.online:
            return
        self._drop_delay = delay
        lost = self._lost
        await self._ws.close()
        await lost.wait()

    async def go_silent(self) -> None:
        """Imitate a half-open socket: stop reading, answering, sending and heartbeating."""
        self.silent = True
        self._stop_heartbeat()
        if self._ws is not None:
            self._ws.transport.pause_reading()

    async def resume(self) -> None:
        """End ``go_silent``: read again, heartbeat, replay what was queued, resend statuses."""
        if not self.silent:
            return
        self.silent = False
        if self._ws is not None and self.online:
            self._ws.transport.resume_reading()
        if self.can_send():
            self._start_heartbeat()
            await self.replay()
            await self.after_boot()

    async def _open(self) -> None:
        headers = None
        if self.password:
            token = base64.b64encode(f"{self.id}:{self.password}".encode()).decode()
            headers = {"Authorization": f"Basic {token}"}
        ws = await ws_connect(self.url, subprotocols=["ocpp1.6"], additional_headers=headers,
                              ping_interval=None, open_timeout=10)
        if ws.subprotocol != "ocpp1.6":
            log.warning("%s: server chose subprotocol %s", self.id, ws.subprotocol)
        self._ws = self._connection = ws
        self._call_lock = asyncio.Lock()
        self._response_queue = asyncio.Queue()
        self._lost = asyncio.Event()
        self.online, self.silent, self.registration = True, False, None
        log.info("%s: connected to %s", self.id, self.url)
        self.spawn(self._reader(ws, self._lost))

    async def _reader(self, ws, lost) -> None:
        try:
            while True:
                await self.route_message(await ws.recv())
        except ConnectionClosed as exc:
            log.info("%s: connection closed (%s)", self.id, exc)
        finally:
            self._connection_lost(ws, lost)

    def _connection_lost(self, ws, lost) -> None:
        lost.set()
        if ws is not self._ws:
            return
        self.online, self.registration = False, None
        for task in list(self._conn_tasks):
            task.cancel()
        delay, self._drop_delay = self._drop_delay, None
        if not self._closing:
            self.spawn(self._reconnect(self.reconnect_delay if delay is None else delay))

    async def _reconnect(self, delay: float) -> None:
        while not self._closing:
            await asyncio.sleep(delay)
            try:
                await self._open()
            except (OSError, WebSocketException, asyncio.TimeoutError) as exc:
                self._next_url()
                delay = min(max(delay * 2, 1.0), MAX_BACKOFF_S)
                log.warning("%s: cannot connect (%s); retrying in %ss", self.id, exc, delay)
                continue
            await self._boot_and_settle()
            return

    def _next_url(self) -> None:
        if len(self.urls) > 1:
            self.url = self.urls[(self.urls.index(self.url) + 1) % len(self.urls)]

    async def _boot_and_settle(self) -> str | None:
        status, interval = await self._boot()
        if status == RegistrationStatus.accepted:
            await self._accepted()
        elif self.online:
            self.spawn(self._boot_retry(interval), conn_bound=True)
        return status

    async def _boot(self) -> tuple[str | None, int]:
        try:
            result = await self.call_checked(self.boot_payload())
        except (LinkDown, OCPPError) as exc:
            log.warning("%s: BootNotification failed: %s", self.id, exc)
            return None, 10
        self.boots += 1
        self.registration = result.status
        log.info("%s: boot %s, interval %s", self.id, result.status, result.interval)
        if result.status == RegistrationStatus.accepted and result.interval > 0:
            self.heartbeat_interval = self.heartbeat_override or result.interval
        return result.status, result.interval

    async def _boot_retry(self, interval: int) -> None:
        while True:
            await asyncio.sleep(max(interval, 1))
            status, interval = await self._boot()
            if status == RegistrationStatus.accepted:
                await self._accepted()
                return

    async def _accepted(self) -> None:
        self._start_heartbeat()
        await self.replay()
        await self.after_boot()

    def _start_heartbeat(self) -> None:
        self._stop_heartbeat()
        self._heartbeat_task = self.spawn(self._heartbeat_loop(), conn_bound=True)

    def _stop_heartbeat(self) -> None:
        if self._heartbeat_task is not None:
            self._heartbeat_task.cancel()
            self._heartbeat_task = None

    async def _heartbeat_loop(self) -> None:
        while True:
            await asyncio.sleep(max(self.heartbeat_interval, 1))
            await self.send_heartbeat()

    # ---- sending ------------------------------------------------------------------------
    async def call_checked(self, payload):
        """Send one CALL and return its result; raise LinkDown or the server's OCPPError."""
        if not self.online:
            raise LinkDown("offline")
        action = type(payload).__name__
        lost = self._lost
        call_task = asyncio.ensure_future(self.call(payload, suppress=False))
        lost_task = asyncio.ensure_future(lost.wait())
        try:
            done, _ = await asyncio.wait({call_task, lost_task}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            lost_task.cancel()
            if not call_task.done():
                call_task.cancel()
        if call_task not in done:
            raise LinkDown("connection lost")
        try:
            result = call_task.result()
        except (ConnectionClosed, asyncio.TimeoutError) as exc:
            raise LinkDown(str(exc) or type(exc).__name__) from exc
        except OCPPError as exc:
            self.sent.append((action, wire(payload), {"error": type(exc).__name__,
                                                      "description": exc.description}))
            raise
        self.sent.append((action, wire(payload), wire(result)))
        return result

    async def send(self, payload):
        """Send a non-transaction CALL if booted and reachable; None when it was not delivered."""
        if not self.can_send():
            return None
        try:
            return await self.call_checked(payload)
        except (LinkDown, OCPPError) as exc:
            log.warning("%s: %s not delivered: %s", self.id, type(payload).__name__, exc)
            return None

    async def send_transaction_message(self, payload, placeholder=None):
        """Send or queue StartTransaction/StopTransaction/MeterValues; None when queued."""
        return await self.outbox.send(payload, placeholder)

    @property
    def queued(self) -> list[tuple[str, dict]]:
        """Transaction messages waiting for the link, oldest first."""
        return self.outbox.items

    async def replay(self) -> None:
        await self.outbox.replay()

    async def send_heartbeat(self):
        return await self.send(call.Heartbeat())

    async def send_status_notification(self, connector_id, status, error_code="NoError", info=None):
        return await self.send(call.StatusNotification(
            connector_id=connector_id, error_code=error_code, status=status,
            timestamp=iso(), info=info))

    async def send_data_transfer(self, message_id, data: str, vendor_id="Chargeway"):
        return await self.send(call.DataTransfer(vendor_id=vendor_id, message_id=message_id, data=data))


def _log_task_error(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("background task failed", exc_info=task.exception())
