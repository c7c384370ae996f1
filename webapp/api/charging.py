"""Remote start and stop and a charger's live status."""
from flask import g

from ..services.booking import remote_charging
from ..services.fleet import chargers
from ..services.errors import NotFound
from ..timeutil import iso, utcnow
from .blueprint import bp
from .schema import CONNECTOR_NUMBER, CP_ID, DATETIME, ID, endpoint, nullable, obj

COMMAND_ANSWER = obj({
    "success": {"type": "boolean", "const": True}, "message": {"type": "string"},
    "transaction_id": nullable({"type": "integer", "description": "null until the charger's StartTransaction "
                                                                   "arrives; poll the booking or active session"}),
    "booking_id": ID, "booking_status": {"type": "string"},
}, required=("success", "message", "transaction_id", "booking_id", "booking_status"))
CHARGER_STATUS = obj({
    "charger_id": CP_ID, "station_id": nullable(ID), "online": {"type": "boolean"},
    "connected": {"type": "boolean", "description": "an OCPP socket is open right now"},
    "registration_status": {"type": "string"}, "heartbeat_interval": {"type": "integer"},
    "last_seen": nullable(DATETIME), "seconds_since_seen": nullable({"type": "integer", "minimum": 0}),
    "connectors": {"type": "array", "items": obj({
        "connector_id": CONNECTOR_NUMBER, "status": {"type": "string"}, "error_code": nullable({"type": "string"}),
        "status_at": nullable(DATETIME)}, required=("connector_id", "status", "error_code", "status_at"))},
    "server_time": DATETIME,
}, required=("charger_id", "station_id", "online", "connected", "registration_status", "heartbeat_interval",
             "last_seen", "seconds_since_seen", "connectors", "server_time"))


@bp.post("/charging/start")
@endpoint("Start charging a confirmed booking: RemoteStartTransaction to the charger", tags=["Charging"],
          body=obj({"charger_id": CP_ID, "connector_id": CONNECTOR_NUMBER,
                    "booking_id": {**ID, "description": "default: your live booking"}},
                   required=("charger_id", "connector_id")),
          responses={200: ("The charger accepted; StartTransaction follows when the EV is plugged in",
                           COMMAND_ANSWER)},
          errors=(404, 409, 502),
          description="The driver's own idTag is used. 409 when the booking is not confirmed, is for another "
                      "connector, or the charger refused; 502 when the charger is not connected or did not answer.")
def start_charging(body):
    """Remote start."""
    booking = remote_charging.start(g.api_user, body["charger_id"], body["connector_id"], body.get("booking_id"))
    session = booking.session
    return {"success": True, "message": "Charging start requested. The charger is starting...",
            "transaction_id": session.id if session else None, "booking_id": booking.id,
            "booking_status": booking.status}


@bp.post("/charging/stop")
@endpoint("Stop a running transaction: RemoteStopTransaction to the charger", tags=["Charging"],
          body=obj({"transaction_id": ID}, required=("transaction_id",)),
          responses={200: ("The charger accepted; StopTransaction follows", COMMAND_ANSWER)},
          errors=(404, 409, 502))
def stop_charging(body):
    """Remote stop."""
    session = remote_charging.stop(g.api_user, body["transaction_id"])
    return {"success": True, "message": "Charging stop requested. The charger is stopping...",
            "transaction_id": session.id, "booking_id": session.booking_id, "booking_status": session.booking.status}


@bp.get("/chargers/<string(maxlength=48):charger_id>/status")
@endpoint("A charger's presence and connector statuses", tags=["Charging"],
          responses={200: ("The charger", CHARGER_STATUS)}, errors=(404,))
def charger_status(charger_id):
    """Online, last seen and connectors of one charger."""
    charger = chargers.get_by_cp_id(charger_id)
    if charger is None or charger.retired:
        raise NotFound(f"No charger {charger_id}.")
    now = utcnow()
    return {"charger_id": charger.charge_point_id, "station_id": charger.station_id, "online": charger.online,
            "connected": charger.connection_id is not None, "registration_status": charger.registration_status,
            "heartbeat_interval": charger.heartbeat_interval, "last_seen": iso(charger.last_seen),
            "seconds_since_seen": max(0, int((now - charger.last_seen).total_seconds())) if charger.last_seen
            else None,
            "connectors": [{"connector_id": c.connector_id, "status": c.status, "error_code": c.error_code,
                            "status_at": iso(c.status_at)} for c in charger.connectors],
            "server_time": iso(now)}
