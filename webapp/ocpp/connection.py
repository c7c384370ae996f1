"""One charger's WebSocket: reads frames and answers CALLs; our CALLs to it go through outbound.py."""
import logging
import socket
import threading
import time
import uuid

from flask import current_app, g
from simple_websocket import ConnectionClosed, Server

from .. import metrics
from ..extensions import db
from ..services.charging import smart, writebehind
from ..services.fleet import chargers, presence, provisioning
from ..services.platform import bus
from . import bounds, frames, gcpolicy, handlers, heartbeats
from .outbound import OutboundCalls
from .schemas import OcppError, validate_call, validate_result

log = logging.getLogger(__name__)

POLICY_VIOLATION, GOING_AWAY = 1008, 1001


class _PongNotifying(Server):
    """A server socket whose receive may wait without a timeout. simple_websocket keeps one flag, True from a
    pong until the next ping is sent, so a loop reading it between pings sees the last ping's pong again;
    this one calls `on_pong` for every pong, in the socket's reader thread, the moment it arrives."""

    on_pong = None

    @property
    def pong_received(self) -> bool:
        return self.__dict__.get("_pong_received", True)

    @pong_received.setter
    def pong_received(self, value: bool) -> None:
        if value and self.on_pong is not None:
            self.on_pong()
        self.__dict__["_pong_received"] = value

    def _handle_events(self):
        keep_going = super()._handle_events()
        if not keep_going:
            # simple_websocket wakes the receiver before it marks the socket closed (an oversized frame, the
            # peer's close): a receive without a timeout woken in between would wait for ever.
            self.connected = False
            self.event.set()
        return keep_going


class ChargerConnection:
    """Serves one socket until it closes; `call` may be used from any thread."""

    # A worker holds thousands of these for hours: no per-instance __dict__ (less memory, fewer objects for
    # the garbage collector to walk).
    __slots__ = ("ws", "cp_id", "connection_id", "outbound", "_send_lock", "_last_touch",
                 "_frame_lock", "going_away", "_boot_deadline", "_touch_every", "_wait",
                 "_validate_out", "_max_bytes", "charger_pk", "accepted", "booted", "_closed", "_late_boot", "_app")

    def __init__(self, ws, cp_id: str):
        self._app = current_app._get_current_object()
        if type(ws) is Server:
            ws.__class__ = _PongNotifying  # same object, same ping thread: pongs now call us
            ws.on_pong = self._ponged
        self.ws = ws
        self.cp_id = cp_id
        self.connection_id = uuid.uuid4().hex
        self.outbound = OutboundCalls(cp_id)  # OCPP-J: one outstanding CALL per direction
        self._send_lock = threading.Lock()
        self._last_touch = 0.0
        self._frame_lock = threading.Lock()  # held while a frame is handled: a shutdown waits for its answer
        self.going_away = False
        cfg = current_app.config
        self._boot_deadline = time.monotonic() + cfg["OCPP_BOOT_TIMEOUT_SECONDS"]
        self._touch_every = cfg["LAST_SEEN_WRITE_SECONDS"]
        self._wait = max(1.0, cfg["OCPP_PING_INTERVAL"] / 2)
        self._validate_out = cfg.get("TESTING", False)
        self._max_bytes = cfg["OCPP_MAX_MESSAGE_BYTES"]
        self.charger_pk: int | None = None  # known once the charger exists in the database
        self.accepted = False  # registration Accepted: refreshed after every BootNotification
        self.booted = False  # an accepted BootNotification came on this socket: only then is it online
        self._closed = False  # the receive loop ended: a boot committed from now on puts nobody online
        self._late_boot = None  # a BootNotification whose group commit we stopped waiting for

    def is_open(self) -> bool:
        return not self._closed

    # -- serving ---------------------------------------------------------------------------------
    def serve(self) -> None:
        """Run the receive loop until the socket closes, then mark the charger offline."""
        g.charger_id = self.cp_id  # on every JSON log line of this socket (webapp/logs.py)
        the_bus = bus.get()
        replaced = the_bus.register(self)
        if replaced is not None:
            replaced.close("replaced by a new connection")
        registration = self._commit(lambda: writebehind.connected(
            presence.Connect(self.cp_id, self.connection_id, the_bus.node_id)))
        if registration is not None:
            self.charger_pk, status = registration
            self.accepted = status == "Accepted"
        reason = "socket closed"
        metrics.CHARGERS_CONNECTED.inc()
        try:
            while True:
                raw = self.ws.receive(timeout=self._receive_timeout())
                with self._frame_lock:
                    if self.going_away:
                        reason = "server shutting down"
                        break
                    if not self.booted and time.monotonic() >= self._boot_deadline:
                        reason = self._close_unbooted()
                        break
                    if raw is None:
                        if self._fresh_pong():
                            self._touch()
                        continue
                    self._touch()
                    self.handle(raw)
        except ConnectionClosed as exc:
            if self.going_away:
                reason = "server shutting down"
            else:
                reason = f"socket closed ({getattr(exc, 'reason', '')} {getattr(exc, 'message', '') or ''})".strip()
        except Exception:
            log.error("Connection of %s failed", self.cp_id, exc_info=True)
            reason = "server error on the connection"
        finally:
            self._closed = True
            if isinstance(self.ws, _PongNotifying):
                self.ws.on_pong = None  # the socket and this connection no longer keep each other alive
            gcpolicy.closed()
            metrics.CHARGERS_CONNECTED.dec()
            self._shutdown_socket()
            self.outbound.fail_all()
            try:
                the_bus.unregister(self)
            finally:
                self._disconnected(reason)

    def _disconnected(self, reason: str) -> None:
        """The charger offline and released (unless a newer socket owns it). A boot still in its batch
        checks `is_open` before it puts the charger online; one that checked just before the close is
        waited for here and undone."""
        item = presence.Disconnect(self.cp_id, self.connection_id, reason)
        self._commit(lambda: writebehind.disconnected(item))
        late, self._late_boot = self._late_boot, None
        if late is not None and late.done.wait(current_app.config["GROUP_COMMIT_TIMEOUT_SECONDS"]):
            self._commit(lambda: writebehind.disconnected(item))
        db.session.remove()

    def _shutdown_socket(self) -> None:
        """End the TCP connection now: the dev server would otherwise keep it open (and write an HTTP
        response into it) after a close we initiated, e.g. for an oversized frame."""
        try:
            self.ws.sock.shutdown(socket.SHUT_RDWR)
        except (OSError, AttributeError):
            pass

    def close(self, reason: str, code: int = 1000) -> None:
        """Send a close frame; the receive loop ends at once (it would otherwise wait for the peer's reply,
        which a half-open peer never sends)."""
        try:
            self.ws.close(reason=code, message=reason)
        except Exception:  # already closed
            pass
        event = getattr(self.ws, "event", None)
        if event is not None:
            event.set()

    def go_away(self) -> None:
        """Server shutdown: once the frame being handled is answered, close with 1001 (Going Away), so the
        charger reconnects to another node at once."""
        with self._frame_lock:
            self.going_away = True
            self.close("server shutting down", GOING_AWAY)

    def _receive_timeout(self) -> float | None:
        """How long one receive may wait: until the boot deadline before boot; after it, for ever on our own
        sockets (a pong refreshes last seen from the reader thread, `_ponged`: no timer per frame), else
        half a ping interval, for the loop to look at the pong flag."""
        if self.booted:
            return None if isinstance(self.ws, _PongNotifying) else self._wait
        return max(0.05, min(self._wait, self._boot_deadline - time.monotonic()))

    def _ponged(self) -> None:
        """A pong (in the socket's reader thread): a sign of life, as any frame is."""
        try:
            with self._app.app_context():
                self._touch()
        except Exception:  # never break the reader thread
            log.warning("Could not record a pong of %s", self.cp_id, exc_info=True)

    def _close_unbooted(self) -> str:
        seconds = current_app.config["OCPP_BOOT_TIMEOUT_SECONDS"]
        reason = f"no accepted BootNotification within {seconds:g} s"
        log.warning("Closing %s: %s", self.cp_id, reason)
        self.close(reason, POLICY_VIOLATION)
        return reason

    def _fresh_pong(self) -> bool:
        """Whether a pong came since the loop last woke (our own sockets report pongs themselves: `_ponged`)."""
        if isinstance(self.ws, _PongNotifying):
            return False
        return bool(getattr(self.ws, "pong_received", False))

    def handle(self, raw) -> None:
        """Handle one text frame."""
        if self._too_big(raw):
            return
        if self.accepted and (unique_id := heartbeats.unique_id(raw)) is not None:
            self._heartbeat(unique_id, raw)
            return
        try:
            frame = frames.parse(raw)
        except frames.FrameError as exc:
            metrics.ocpp_message(None, exc.code)
            self._send(frames.error(exc.unique_id, exc.code, exc.description))
            self._log_safely("in", None, None, raw if isinstance(raw, str) else repr(raw[:200]))
            return
        if frame.type_id == frames.CALL:
            self._handle_call(frame, raw)
        else:
            self.outbound.resolve(frame, raw)

    def _too_big(self, raw) -> bool:
        """Close with 1009 when a text frame is over OCPP_MAX_MESSAGE_BYTES in UTF-8: the WebSocket layer
        counts characters, up to four bytes each."""
        if not isinstance(raw, str) or len(raw) * 4 <= self._max_bytes or \
                len(raw.encode("utf-8", "surrogatepass")) <= self._max_bytes:
            return False
        log.warning("%s sent a frame over %d bytes; closing", self.cp_id, self._max_bytes)
        try:
            self.ws.close(reason=1009, message="Message is too big")
        except Exception:  # already closed
            pass
        return True

    def _handle_call(self, frame: frames.Frame, raw: str) -> None:
        provision = False
        opened = None  # False: the handler never opened a database session (nothing to close)
        try:
            validate_call(frame.action, frame.payload)
            payload = bounds.checked(frame.action, frame.payload)
            if frame.action != "BootNotification" and not self.accepted:
                raise OcppError("SecurityError", "Charge point is not accepted: send BootNotification first")
            result = handlers.dispatch(self.cp_id, frame.action, payload, self.connection_id, self.is_open)
            if self._validate_out:
                validate_result(frame.action, result)
            reply = frames.result(frame.unique_id, result)
            opened = _end_session(commit=True)
            outcome = "CALLRESULT"
            if frame.action == "BootNotification":
                self.accepted = result.get("status") == "Accepted"
                if self.charger_pk is None:  # registered by this BootNotification
                    self._refresh_registration()
                if self.accepted and not self.booted:  # online already: the boot's own commit did it
                    self.booted = True
                    gcpolicy.accepted()
                provision = self.accepted and bool(self._commit(self._needs_key))
            self._log_safely("in", frame.action, frame.unique_id, raw, reply)
        except OcppError as exc:
            opened = _end_session(commit=False)
            reply, outcome = frames.error(frame.unique_id, exc.code, exc.description, exc.details), exc.code
            self._log_safely("in", frame.action, frame.unique_id, raw, reply)
        except Exception as exc:
            opened = _end_session(commit=False)
            if isinstance(exc, writebehind.GroupCommitTimeout) and frame.action == "BootNotification":
                self._late_boot = exc.item  # still written later: see _disconnected
            log.error("Handler %s for %s failed", frame.action, self.cp_id, exc_info=True)
            reply = frames.error(frame.unique_id, "InternalError", f"Could not process {frame.action}")
            outcome = "InternalError"
            self._log_safely("in", frame.action, frame.unique_id, raw, reply)
        finally:
            if opened is not False:
                _end_session(commit=None)
        metrics.ocpp_message(frame.action, outcome)
        try:
            self._send(reply)
        except ConnectionClosed:  # the charger hung up while we handled its CALL (what it sent is stored):
            return                # the frames it sent before hanging up are still read by the receive loop
        if provision:
            self._provision()
        if frame.action == "StartTransaction" and outcome == "CALLRESULT":
            self._commit(lambda: smart.start_answered(self.cp_id, result))

    def _heartbeat(self, unique_id: str, raw: str) -> None:
        """A well-formed Heartbeat of an accepted charger: what the full path answers and logs (handlers.heartbeat,
        the frame and its answer in one OCPP log row, the message counter), without parsing, schema check and
        dispatch, whose outcome for this frame is known."""
        reply = heartbeats.reply(unique_id)
        if self.charger_pk is not None:
            try:
                writebehind.log_clean_exchange(self.charger_pk, "Heartbeat", unique_id, raw, reply)
            except Exception:
                db.session.rollback()
                log.warning("Could not log a frame for %s", self.cp_id, exc_info=True)
        metrics.ocpp_message("Heartbeat", "CALLRESULT")
        try:
            self._send(reply)
        except ConnectionClosed:
            return

    def _needs_key(self) -> bool:
        """After an accepted boot (whose own commit scheduled the Smart Charging keys' read, unless fresh):
        whether an auto-registered charger needs its AuthorizationKey."""
        if not current_app.config["OCPP_AUTO_REGISTER"]:
            return False
        return provisioning.needs_key(self.cp_id)

    def _provision(self) -> None:
        """Give an auto-registered charger its AuthorizationKey once it has its boot answer. In a thread: the
        CALL's answer arrives through this receive loop."""
        app = current_app._get_current_object()

        def run():
            with app.app_context():
                try:
                    provisioning.provision(self.cp_id, self.call)
                except Exception:
                    db.session.rollback()
                    log.error("Provisioning %s failed", self.cp_id, exc_info=True)
                finally:
                    db.session.remove()

        threading.Thread(target=run, name=f"provision-{self.cp_id}", daemon=True).start()

    # -- our CALLs (outbound.py) --------------------------------------------------------------------
    def call(self, action: str, payload: dict, timeout: float) -> dict:
        """Send a CALL and wait for the charger's CALLRESULT payload; raises CommandFailed otherwise."""
        return self.outbound.call(action, payload, timeout, self._send, self._log_safely)

    # -- helpers ---------------------------------------------------------------------------------
    def _send(self, text: str) -> None:
        with self._send_lock:
            self.ws.send(text)

    def _refresh_registration(self) -> None:
        charger = chargers.get_by_cp_id(self.cp_id)
        self.charger_pk = charger.id if charger is not None else None
        self.accepted = charger is not None and charger.registration_status == "Accepted"
        db.session.remove()

    def _touch(self) -> None:
        now = time.monotonic()
        if now - self._last_touch >= self._touch_every:
            self._last_touch = now
            self._commit(lambda: writebehind.touch(self.cp_id, self.connection_id, self.booted))


    def _log_safely(self, direction, action, unique_id, text, answer=None) -> None:
        """Log a CALL and its answer (or a frame that never parsed); logging must never break the protocol."""
        if self.charger_pk is None:
            return
        try:
            writebehind.log_exchange(self.charger_pk, direction, action, unique_id, text, answer)
        except Exception:
            db.session.rollback()
            log.warning("Could not log a frame for %s", self.cp_id, exc_info=True)

    def _commit(self, fn):
        """Run `fn` and commit; its result, or None when it failed (logged)."""
        try:
            result = fn()
            db.session.commit()
            return result
        except Exception:
            db.session.rollback()
            log.error("Presence update for %s failed", self.cp_id, exc_info=True)
            return None
        finally:
            db.session.remove()


def _end_session(commit: bool | None) -> bool:
    """Commit (True), roll back (False) or close (None) this greenlet's database session, if a handler
    opened one (returns whether it had): a Heartbeat or a group-committed message never touches it, and
    creating a session only to commit nothing cost a fifth of the socket's CPU per message."""
    if not db.session.registry.has():
        return False
    if commit is None:
        db.session.remove()
    elif commit:
        db.session.commit()
    else:
        db.session.rollback()
    return True
