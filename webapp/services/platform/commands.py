"""Outbound OCPP commands: verbs that return the charger's answer, sent through the command bus.

Each verb ends the caller's database transaction first: nothing may hold a lock while waiting on a
charger (the socket's own thread needs the database to process what the charger sends meanwhile).
"""
import logging
from datetime import datetime

from ... import metrics
from ...extensions import db
from ...timeutil import iso
from . import bus
from ..errors import CommandFailed

log = logging.getLogger(__name__)


def send(cp_id: str, action: str, payload: dict, timeout: float | None = None) -> dict:
    """Send any CALL; returns the CALLRESULT payload or raises CommandFailed."""
    db.session.commit()
    with metrics.command(action):
        return bus.call(cp_id, action, payload, timeout)


def _status(cp_id: str, action: str, payload: dict, ok=("Accepted",)) -> bool:
    answer = send(cp_id, action, payload)
    return answer.get("status") in ok


def remote_start(cp_id: str, connector_id: int, id_tag: str) -> bool:
    return _status(cp_id, "RemoteStartTransaction", {"connectorId": connector_id, "idTag": id_tag})


def remote_stop(cp_id: str, transaction_id: int) -> bool:
    return _status(cp_id, "RemoteStopTransaction", {"transactionId": transaction_id})


def unlock(cp_id: str, connector_id: int) -> bool:
    return _status(cp_id, "UnlockConnector", {"connectorId": connector_id}, ok=("Unlocked",))


def reset(cp_id: str, kind: str = "Soft") -> bool:
    return _status(cp_id, "Reset", {"type": kind})


def change_availability(cp_id: str, connector_id: int, operative: bool) -> bool:
    return _status(cp_id, "ChangeAvailability",
                   {"connectorId": connector_id, "type": "Operative" if operative else "Inoperative"},
                   ok=("Accepted", "Scheduled"))


def get_configuration(cp_id: str, keys: list[str] | None = None) -> dict:
    return send(cp_id, "GetConfiguration", {"key": keys} if keys else {})


def change_configuration(cp_id: str, key: str, value: str) -> str:
    return send(cp_id, "ChangeConfiguration", {"key": key, "value": value}).get("status", "Rejected")


def clear_cache(cp_id: str) -> bool:
    return _status(cp_id, "ClearCache", {})


def trigger_message(cp_id: str, message: str, connector_id: int | None = None) -> bool:
    payload = {"requestedMessage": message}
    if connector_id:
        payload["connectorId"] = connector_id
    return _status(cp_id, "TriggerMessage", payload)


def reserve_now(cp_id: str, connector_id: int, expiry: datetime, id_tag: str, reservation_id: int) -> str:
    answer = send(cp_id, "ReserveNow", {"connectorId": connector_id, "expiryDate": iso(expiry),
                                        "idTag": id_tag, "reservationId": reservation_id})
    return answer.get("status", "Rejected")


def cancel_reservation(cp_id: str, reservation_id: int) -> bool:
    return _status(cp_id, "CancelReservation", {"reservationId": reservation_id})


def data_transfer(cp_id: str, vendor_id: str, message_id: str | None = None, data: str | None = None) -> dict:
    payload = {"vendorId": vendor_id}
    if message_id:
        payload["messageId"] = message_id
    if data is not None:
        payload["data"] = data
    return send(cp_id, "DataTransfer", payload)


__all__ = ["CommandFailed", "send", "remote_start", "remote_stop", "unlock", "reset", "change_availability",
           "get_configuration", "change_configuration", "clear_cache", "trigger_message", "reserve_now",
           "cancel_reservation", "data_transfer"]
