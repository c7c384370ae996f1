"""A tiny fake Central System on the ocpp library's server side (asyncio + websockets) for the simulator's tests.

Both ends validate every payload against the OCPP 1.6 schemas, so any CALLERROR the simulator gets
back means it sent something invalid.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed


def utc(delta_s: float = 0) -> str:
    return (datetime.now(timezone.utc) + timedelta(seconds=delta_s)).isoformat()


class FakeCentral(ChargePoint):
    """Accepts everything; transaction ids from 100; idTag "BAD" is Invalid."""

    tx_ids = itertools.count(100)

    def __init__(self, cp_id, connection, log):
        super().__init__(cp_id, connection, response_timeout=5)
        self.log = log

    def _record(self, action, **kwargs):
        self.log.append((self.id, action, kwargs))

    @on(Action.boot_notification)
    def on_boot(self, charge_point_vendor, charge_point_model, **kw):
        self._record("BootNotification", vendor=charge_point_vendor, model=charge_point_model, **kw)
        if self.id.startswith("PEND") and len([e for e in self.log if e[0] == self.id]) == 1:
            return call_result.BootNotification(current_time=utc(), interval=1, status="Pending")
        return call_result.BootNotification(current_time=utc(), interval=30, status="Accepted")

    @on(Action.heartbeat)
    def on_heartbeat(self):
        return call_result.Heartbeat(current_time=utc())

    @on(Action.status_notification)
    def on_status(self, connector_id, error_code, status, **kw):
        self._record("StatusNotification", connector_id=connector_id, status=status, error_code=error_code)
        return call_result.StatusNotification()

    @on(Action.authorize)
    def on_authorize(self, id_tag):
        return call_result.Authorize(id_tag_info={"status": "Invalid" if id_tag == "BAD" else "Accepted"})

    @on(Action.start_transaction)
    def on_start(self, connector_id, id_tag, meter_start, timestamp, **kw):
        tx = next(self.tx_ids)
        self._record("StartTransaction", transaction_id=tx, connector_id=connector_id, id_tag=id_tag,
                     meter_start=meter_start, timestamp=timestamp, **kw)
        status = "Invalid" if id_tag == "BAD" else "Accepted"
        return call_result.StartTransaction(transaction_id=tx, id_tag_info={"status": status})

    @on(Action.meter_values)
    def on_meter_values(self, connector_id, meter_value, transaction_id=None):
        self._record("MeterValues", connector_id=connector_id, transaction_id=transaction_id,
                     meter_value=meter_value)
        return call_result.MeterValues()

    @on(Action.stop_transaction)
    def on_stop(self, meter_stop, timestamp, transaction_id, **kw):
        self._record("StopTransaction", meter_stop=meter_stop, timestamp=timestamp,
                     transaction_id=transaction_id, **kw)
        return call_result.StopTransaction(id_tag_info={"status": "Accepted"})

    @on(Action.data_transfer)
    def on_data_transfer(self, vendor_id, **kw):
        return call_result.DataTransfer(status="Accepted")

    @on(Action.firmware_status_notification)
    def on_firmware_status(self, status):
        self._record("FirmwareStatusNotification", status=status)
        return call_result.FirmwareStatusNotification()

    @on(Action.diagnostics_status_notification)
    def on_diagnostics_status(self, status):
        self._record("DiagnosticsStatusNotification", status=status)
        return call_result.DiagnosticsStatusNotification()


class Central:
    """The fake server: one FakeCentral per connection, a shared log of what arrived."""

    def __init__(self, harness):
        self.harness = harness
        self.log: list[tuple[str, str, dict]] = []
        self.sessions: dict[str, FakeCentral] = {}
        self.auth: dict[str, str | None] = {}
        async def start():
            return await serve(self._handler, "127.0.0.1", 0, subprotocols=["ocpp1.6"])
        self.server = harness.run(start())
        self.url = f"ws://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/ocpp"

    async def _handler(self, ws):
        cp_id = ws.request.path.rsplit("/", 1)[-1]
        self.auth[cp_id] = ws.request.headers.get("Authorization")
        self.sessions[cp_id] = session = FakeCentral(cp_id, ws, self.log)
        try:
            await session.start()
        except ConnectionClosed:
            pass

    def send(self, cp_id, payload):
        return self.harness.run(self.sessions[cp_id].call(payload))

    def got(self, cp_id, action):
        return [kw for who, act, kw in list(self.log) if who == cp_id and act == action]


def remote_start(central, c, connector_id, id_tag="TAG1"):
    result = central.send(c.cp_id, call.RemoteStartTransaction(id_tag=id_tag, connector_id=connector_id))
    assert result.status == "Accepted"
    return c.wait_status(connector_id, "Charging")
