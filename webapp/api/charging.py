"""Remote start and stop and a charger's live status."""
from typing import Annotated, Literal

from flask import g
from pydantic import Field

from ..services.booking import remote_charging
from ..services.fleet import chargers
from ..services.errors import NotFound
from ..timeutil import iso, utcnow
from .blueprint import bp
from .contract import endpoint
from .resources import Charger, ConnectorNumber, CpId, Id, Wire


class StartRequest(Wire):
    charger_id: CpId
    connector_id: ConnectorNumber
    booking_id: Annotated[Id, Field(description="default: your live booking")] = None


class StopRequest(Wire):
    transaction_id: Id


class CommandAnswer(Wire):
    success: Literal[True]
    message: str
    transaction_id: Annotated[int | None, Field(description="null until the charger's StartTransaction arrives; "
                                                            "poll the booking or active session")]
    booking_id: Id
    booking_status: str


@bp.post("/charging/start")
@endpoint("Start charging a confirmed booking: RemoteStartTransaction to the charger", tags=["Charging"],
          body=StartRequest,
          responses={200: ("The charger accepted; StartTransaction follows when the EV is plugged in",
                           CommandAnswer)},
          errors=(404, 409, 502),
          description="The driver's own idTag is used. 409 when the booking is not confirmed, is for another "
                      "connector, or the charger refused; 502 when the charger is not connected or did not answer.")
def start_charging(body):
    """Remote start."""
    booking = remote_charging.start(g.api_user, body.charger_id, body.connector_id, body.booking_id)
    session = booking.session
    return {"success": True, "message": "Charging start requested. The charger is starting...",
            "transaction_id": session.id if session else None, "booking_id": booking.id,
            "booking_status": booking.status}


@bp.post("/charging/stop")
@endpoint("Stop a running transaction: RemoteStopTransaction to the charger", tags=["Charging"],
          body=StopRequest, responses={200: ("The charger accepted; StopTransaction follows", CommandAnswer)},
          errors=(404, 409, 502))
def stop_charging(body):
    """Remote stop."""
    session = remote_charging.stop(g.api_user, body.transaction_id)
    return {"success": True, "message": "Charging stop requested. The charger is stopping...",
            "transaction_id": session.id, "booking_id": session.booking_id, "booking_status": session.booking.status}


@bp.get("/chargers/<string(maxlength=48):charger_id>/status")
@endpoint("A charger's presence and connector statuses", tags=["Charging"],
          responses={200: ("The charger", Charger)}, errors=(404,))
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
