"""One function per charger-initiated OCPP 1.6 action: snake_case arguments in, a call_result out.

Handlers parse, delegate to one service and build the answer; the rules live in `services/`.
"""
import dataclasses
import logging
from functools import lru_cache

from ocpp.charge_point import camel_to_snake_case, remove_nones, snake_to_camel_case
from ocpp.v16 import call_result
from ocpp.v16.datatypes import IdTagInfo

from ..services.charging import solar, transactions, writebehind
from ..services.fleet import chargers, presence
from ..services.platform import bus, events
from ..timeutil import iso, parse_iso, utcnow

log = logging.getLogger(__name__)


def boot_notification(cp_id, charge_point_vendor, charge_point_model, **kwargs):
    status, interval = writebehind.boot(presence.Boot(cp_id, charge_point_vendor, charge_point_model,
                                                      kwargs.get("charge_point_serial_number"),
                                                      kwargs.get("firmware_version"), kwargs.get("connection_id"),
                                                      bus.get().node_id, kwargs.get("socket_open")))
    return call_result.BootNotification(current_time=iso(utcnow()), interval=interval, status=status)


def heartbeat(cp_id, **kwargs):
    return call_result.Heartbeat(current_time=iso(utcnow()))


def status_notification(cp_id, connector_id, error_code, status, **kwargs):
    timestamp = parse_iso(kwargs["timestamp"]) if kwargs.get("timestamp") else None
    writebehind.status_notification(presence.Status(cp_id, connector_id, status, error_code, timestamp,
                                                    kwargs.get("info"), kwargs.get("vendor_error_code"),
                                                    kwargs.get("connection_id")))
    return call_result.StatusNotification()


def authorize(cp_id, id_tag, **kwargs):
    return call_result.Authorize(id_tag_info=IdTagInfo(status=transactions.authorize(cp_id, id_tag)))


def start_transaction(cp_id, connector_id, id_tag, meter_start, timestamp, **kwargs):
    tx_id, status = transactions.start(cp_id, connector_id, id_tag, meter_start, parse_iso(timestamp),
                                       kwargs.get("reservation_id"))
    return call_result.StartTransaction(transaction_id=tx_id, id_tag_info=IdTagInfo(status=status))


def meter_values(cp_id, connector_id, meter_value, transaction_id=None, **kwargs):
    writebehind.meter_values(cp_id, connector_id, transaction_id, meter_value)
    return call_result.MeterValues()


def stop_transaction(cp_id, meter_stop, timestamp, transaction_id, **kwargs):
    status = transactions.stop(cp_id, transaction_id, meter_stop, parse_iso(timestamp), kwargs.get("reason"),
                               kwargs.get("id_tag"), kwargs.get("transaction_data"))
    return call_result.StopTransaction(id_tag_info=IdTagInfo(status=status) if status else None)


def data_transfer(cp_id, vendor_id, **kwargs):
    status, data = solar.data_transfer(cp_id, vendor_id, kwargs.get("message_id"), kwargs.get("data"))
    return call_result.DataTransfer(status=status, data=data)


def diagnostics_status_notification(cp_id, status, **kwargs):
    _record(cp_id, "diagnostics", status)
    return call_result.DiagnosticsStatusNotification()


def firmware_status_notification(cp_id, status, **kwargs):
    _record(cp_id, "firmware", status)
    return call_result.FirmwareStatusNotification()


def _record(cp_id: str, kind: str, detail: str) -> None:
    charger = chargers.get_by_cp_id(cp_id)
    events.record(charger.id, kind, detail)


HANDLERS = {
    "BootNotification": boot_notification,
    "Heartbeat": heartbeat,
    "StatusNotification": status_notification,
    "Authorize": authorize,
    "StartTransaction": start_transaction,
    "MeterValues": meter_values,
    "StopTransaction": stop_transaction,
    "DataTransfer": data_transfer,
    "DiagnosticsStatusNotification": diagnostics_status_notification,
    "FirmwareStatusNotification": firmware_status_notification,
}


@lru_cache(maxsize=512)
def _snake(key: str) -> str:
    return next(iter(camel_to_snake_case({key: None})))


def dispatch(cp_id: str, action: str, payload: dict, connection_id: str | None = None, socket_open=None) -> dict:
    """Call the handler for a validated CALL and return the CALLRESULT payload (camelCase).

    Only the top-level fields become snake_case arguments; nested values (meterValue, transactionData)
    keep OCPP's camelCase keys, which is how the services read them. `connection_id` (the socket's) is
    passed to every handler, and `socket_open` (whether that socket is still open); no OCPP 1.6 payload has
    fields of those names.
    """
    result = HANDLERS[action](cp_id, connection_id=connection_id, socket_open=socket_open,
                              **{_snake(key): value for key, value in payload.items()})
    return as_payload(result)


def as_payload(value):
    """A call_result (a dataclass) as its OCPP payload: what the ocpp library's
    `snake_to_camel_case(remove_nones(serialize_as_dict(result)))` gives, with each class's camelCase key
    names worked out once instead of for every message (that chain was a third of a Heartbeat's CPU)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {camel: as_payload(item) for name, camel in _keys(type(value))
                if (item := getattr(value, name)) is not None}
    if isinstance(value, list):
        return [as_payload(item) for item in value if item is not None]
    if isinstance(value, dict):
        return snake_to_camel_case(remove_nones(value))
    return value


@lru_cache(maxsize=128)
def _keys(cls) -> tuple[tuple[str, str], ...]:
    return tuple((f.name, next(iter(snake_to_camel_case({f.name: None})))) for f in dataclasses.fields(cls))
