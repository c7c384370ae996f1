"""The bare baseline: the `ocpp` library's ChargePoint on `websockets.serve`, answering without persistence.

    python -m bench.baseline_server --port 9000 [--heartbeat 300]

`ws://127.0.0.1:PORT/ocpp/<cp_id>` with subprotocol ocpp1.6 (offered by the charger, else refused);
BootNotification is Accepted, Heartbeat/StatusNotification/MeterValues are acknowledged, StartTransaction
gets a fresh transaction id (Accepted), StopTransaction is acknowledged. Every CALL is validated against the
OCPP 1.6 JSON schemas by the library, as in Chargeway. `GET /healthz` answers 200 for readiness checks.
One process, one asyncio loop, no database: the floor a Python OCPP server can reach on this machine.
"""
import argparse
import asyncio
import itertools
import logging
import signal
from datetime import datetime, timezone
from http import HTTPStatus

from ocpp.routing import on
from ocpp.v16 import ChargePoint as OcppChargePoint
from ocpp.v16 import call_result
from ocpp.v16.datatypes import IdTagInfo
from ocpp.v16.enums import Action, AuthorizationStatus, RegistrationStatus
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

HEARTBEAT = 300
TX_IDS = itertools.count(1)
STATS = {"connected": 0, "open": 0}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ChargePoint(OcppChargePoint):
    @on(Action.boot_notification)
    def on_boot_notification(self, charge_point_vendor, charge_point_model, **kwargs):
        return call_result.BootNotification(current_time=_now(), interval=HEARTBEAT,
                                            status=RegistrationStatus.accepted)

    @on(Action.heartbeat)
    def on_heartbeat(self, **kwargs):
        return call_result.Heartbeat(current_time=_now())

    @on(Action.status_notification)
    def on_status_notification(self, connector_id, error_code, status, **kwargs):
        return call_result.StatusNotification()

    @on(Action.meter_values)
    def on_meter_values(self, connector_id, meter_value, **kwargs):
        return call_result.MeterValues()

    @on(Action.start_transaction)
    def on_start_transaction(self, connector_id, id_tag, meter_start, timestamp, **kwargs):
        return call_result.StartTransaction(transaction_id=next(TX_IDS),
                                            id_tag_info=IdTagInfo(status=AuthorizationStatus.accepted))

    @on(Action.stop_transaction)
    def on_stop_transaction(self, meter_stop, timestamp, transaction_id, **kwargs):
        return call_result.StopTransaction()


async def handler(websocket):
    cp_id = websocket.request.path.rstrip("/").rsplit("/", 1)[-1]
    STATS["connected"] += 1
    STATS["open"] += 1
    try:
        await ChargePoint(cp_id, websocket).start()
    except ConnectionClosed:
        pass
    finally:
        STATS["open"] -= 1


def process_request(connection, request):
    if request.path == "/healthz":
        return connection.respond(HTTPStatus.OK, f"ok open={STATS['open']}\n")
    if "ocpp1.6" not in (request.headers.get("Sec-WebSocket-Protocol") or ""):
        return connection.respond(HTTPStatus.BAD_REQUEST, "Subprotocol ocpp1.6 required\n")
    return None


async def main(port: int, ping_interval: int) -> None:
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    async with serve(handler, "127.0.0.1", port, subprotocols=["ocpp1.6"], process_request=process_request,
                     ping_interval=ping_interval, ping_timeout=ping_interval, max_size=65536, compression=None,
                     backlog=4096):
        print(f"baseline OCPP server on ws://127.0.0.1:{port}/ocpp", flush=True)
        await stop


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--heartbeat", type=int, default=300, help="interval returned at boot (s)")
    parser.add_argument("--ping-interval", type=int, default=60, help="as OCPP_PING_INTERVAL in Chargeway")
    args = parser.parse_args()
    HEARTBEAT = args.heartbeat
    logging.basicConfig(level=logging.WARNING)
    from bench.common import raise_nofile
    from bench.gcpause import install
    raise_nofile()
    install()  # BENCH_GC_FILE: GC pauses for the benchmark's report
    asyncio.run(main(args.port, args.ping_interval))
