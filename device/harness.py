"""Drive simulated chargers from synchronous code (pytest, Playwright).

    h = SimulatorThread()
    c = h.add("CP-1", "ws://127.0.0.1:5000/ocpp", password="secret", connectors=2)
    c.connect()                      # -> "Accepted"
    c.wait_status(1, "Available")
    c.swipe("TAG-1", 1)
    c.wait_status(1, "Charging")
    h.stop()

The asyncio loop runs in one daemon thread. Every coroutine method of
``SimulatedCharger`` is callable on the proxy as a plain blocking method (pass
``timeout=`` to override the default wait); other attributes are read through.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import time

from device.charger import SimulatedCharger


class SimulatorThread:
    """An asyncio loop in a daemon thread, hosting any number of simulated chargers."""

    def __init__(self, default_timeout: float = 15.0):
        self.default_timeout = default_timeout
        self.loop = asyncio.new_event_loop()
        self.chargers: list[SyncCharger] = []
        self._thread = threading.Thread(target=self._run, name="ocpp-simulator", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def run(self, coro, timeout: float | None = None):
        """Run ``coro`` on the simulator loop and block for its result."""
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(self.default_timeout if timeout is None else timeout)

    def call(self, fn, *args):
        """Call a plain function on the loop thread (for consistent reads of charger state)."""
        async def wrapper():
            return fn(*args)
        return self.run(wrapper())

    def add(self, cp_id: str, base_url: str, connect: bool = False, **kwargs) -> "SyncCharger":
        """Create a charger (``SimulatedCharger`` keyword arguments); optionally connect it."""
        async def make():
            return SimulatedCharger(cp_id, base_url, **kwargs)
        proxy = SyncCharger(self, self.run(make()))
        self.chargers.append(proxy)
        if connect:
            proxy.connect()
        return proxy

    def stop(self) -> None:
        """Disconnect every charger, cancel leftover tasks and stop the loop thread."""
        if not self.loop.is_running():
            return
        for proxy in self.chargers:
            try:
                self.run(proxy.charger.disconnect(), timeout=5)
            except Exception:  # noqa: BLE001 - best effort on shutdown
                pass

        async def cancel_rest():
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        try:
            self.run(cancel_rest(), timeout=5)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=5)
            if not self.loop.is_running():
                self.loop.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class SyncCharger:
    """Blocking proxy for one ``SimulatedCharger`` living on the simulator loop."""

    def __init__(self, harness: SimulatorThread, charger: SimulatedCharger):
        self.harness = harness
        self.charger = charger

    def __getattr__(self, name):
        attr = getattr(self.charger, name)
        if inspect.iscoroutinefunction(attr):
            def blocking(*args, timeout: float | None = None, **kwargs):
                return self.harness.run(attr(*args, **kwargs), timeout)
            blocking.__name__ = name
            blocking.__doc__ = attr.__doc__
            return blocking
        return attr

    def __repr__(self) -> str:
        return f"<SyncCharger {self.charger.id}>"

    # ---- state readers (copies, taken on the loop thread) --------------------------------------
    @property
    def cp_id(self) -> str:
        return self.charger.id

    @property
    def received(self) -> list[tuple[str, dict]]:
        return self.harness.call(list, self.charger.received)

    @property
    def sent(self) -> list[tuple[str, dict, dict | None]]:
        return self.harness.call(list, self.charger.sent)

    def state(self) -> dict:
        return self.harness.call(self.charger.state)

    def connector_state(self, connector_id: int = 1) -> dict:
        return self.harness.call(lambda: self.charger.connector(connector_id).snapshot())

    def status(self, connector_id: int = 1) -> str:
        return self.connector_state(connector_id)["status"]

    def transaction_id(self, connector_id: int = 1) -> int | None:
        return self.connector_state(connector_id)["transaction_id"]

    def sent_calls(self, action: str) -> list[tuple[dict, dict | None]]:
        """(request, response) of every CALL of ``action`` the charger sent, oldest first."""
        return [(req, resp) for act, req, resp in self.sent if act == action]

    def received_calls(self, action: str) -> list[dict]:
        """Payloads of every CALL of ``action`` the server sent, oldest first."""
        return [payload for act, payload in self.received if act == action]

    # ---- waiting --------------------------------------------------------------------------------
    def wait_for(self, predicate, timeout: float = 10.0, interval: float = 0.05, message: str = ""):
        """Poll ``predicate(self)`` until it returns something truthy; return that value."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate(self)
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(message or f"{self.cp_id}: condition not met in {timeout}s")
            time.sleep(interval)

    def wait_status(self, connector_id: int, status: str, timeout: float = 10.0) -> dict:
        """Wait until the connector reports ``status``; return its state."""
        def reached(proxy):
            state = proxy.connector_state(connector_id)
            return state if state["status"] == status else None
        return self.wait_for(reached, timeout, message=(
            f"{self.cp_id}/{connector_id}: status never became {status} "
            f"(is {self.status(connector_id)})"))

    def wait_online(self, timeout: float = 10.0) -> None:
        """Wait until connected and booted (Accepted)."""
        self.wait_for(lambda p: p.harness.call(p.charger.can_send), timeout,
                      message=f"{self.cp_id}: not online and accepted after {timeout}s")

    def wait_sent(self, action: str, predicate=None, timeout: float = 10.0):
        """Wait for an answered CALL of ``action`` matching ``predicate(request, response)``."""
        def found(proxy):
            for req, resp in proxy.sent_calls(action):
                if predicate is None or predicate(req, resp):
                    return req, resp
            return None
        return self.wait_for(found, timeout, message=f"{self.cp_id}: no matching {action} sent")
