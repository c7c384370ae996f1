"""POST /device/heartbeat: simple chargers that do not speak OCPP, authenticated per device."""
from typing import Annotated, Literal

from flask import g
from pydantic import Field

from ..models import CONNECTOR_STATUSES
from ..services.fleet import devices
from ..timeutil import iso, utcnow
from .blueprint import device_bp
from .contract import endpoint
from .resources import ConnectorNumber, CpId, DateTime, Wire

ERROR_CODES = ("NoError", "ConnectorLockFailure", "EVCommunicationError", "GroundFailure", "HighTemperature",
               "InternalError", "LocalListConflict", "OtherError", "OverCurrentFailure", "OverVoltage",
               "PowerMeterFailure", "PowerSwitchFailure", "ReaderFailure", "ResetFailure", "UnderVoltage",
               "WeakSignal")


class ConnectorReport(Wire):
    connector_id: ConnectorNumber
    status: Literal[tuple(CONNECTOR_STATUSES)]
    error_code: Literal[ERROR_CODES] = None
    info: Annotated[str, Field(max_length=50)] = None


class Heartbeat(Wire):
    connectors: Annotated[list[ConnectorReport], Field(max_length=16)] = None


class Seen(Wire):
    status: Literal["Accepted"]
    charger_id: CpId
    online: bool
    last_seen: DateTime
    heartbeat_interval: int
    server_time: DateTime


@device_bp.post("/heartbeat")
@endpoint("A simple charger reports that it is alive (and its connectors' status)", tags=["Devices"],
          auth="basic", body=Heartbeat, responses={200: ("Seen", Seen)},
          description="HTTP Basic with the charge point id and the password `flask add-charger` printed. "
                      "Silence longer than 2 x heartbeat_interval + a margin marks the charger offline, as for "
                      "OCPP chargers.")
def heartbeat(body):
    """Record a device heartbeat."""
    charger = devices.heartbeat(g.api_charger, body.model_dump(exclude_unset=True).get("connectors"))
    return {"status": "Accepted", "charger_id": charger.charge_point_id, "online": charger.online,
            "last_seen": iso(charger.last_seen), "heartbeat_interval": charger.heartbeat_interval,
            "server_time": iso(utcnow())}
