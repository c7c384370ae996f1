"""POST /device/heartbeat: simple chargers that do not speak OCPP, authenticated per device."""
from flask import g

from ..models import CONNECTOR_STATUSES
from ..services.fleet import devices
from ..timeutil import iso, utcnow
from .blueprint import device_bp
from .schema import CONNECTOR_NUMBER, CP_ID, DATETIME, endpoint, obj

ERROR_CODES = ["NoError", "ConnectorLockFailure", "EVCommunicationError", "GroundFailure", "HighTemperature",
               "InternalError", "LocalListConflict", "OtherError", "OverCurrentFailure", "OverVoltage",
               "PowerMeterFailure", "PowerSwitchFailure", "ReaderFailure", "ResetFailure", "UnderVoltage",
               "WeakSignal"]
HEARTBEAT = obj({"connectors": {"type": "array", "maxItems": 16, "items": obj({
    "connector_id": CONNECTOR_NUMBER, "status": {"type": "string", "enum": list(CONNECTOR_STATUSES)},
    "error_code": {"type": "string", "enum": ERROR_CODES}, "info": {"type": "string", "maxLength": 50},
}, required=("connector_id", "status"))}})


@device_bp.post("/heartbeat")
@endpoint("A simple charger reports that it is alive (and its connectors' status)", tags=["Devices"],
          auth="basic", body=HEARTBEAT,
          responses={200: ("Seen", obj({
              "status": {"type": "string", "const": "Accepted"}, "charger_id": CP_ID, "online": {"type": "boolean"},
              "last_seen": DATETIME, "heartbeat_interval": {"type": "integer"}, "server_time": DATETIME},
              required=("status", "charger_id", "online", "last_seen", "heartbeat_interval", "server_time")))},
          description="HTTP Basic with the charge point id and the password `flask add-charger` printed. "
                      "Silence longer than 2 x heartbeat_interval + a margin marks the charger offline, as for "
                      "OCPP chargers.")
def heartbeat(body):
    """Record a device heartbeat."""
    charger = devices.heartbeat(g.api_charger, body.get("connectors"))
    return {"status": "Accepted", "charger_id": charger.charge_point_id, "online": charger.online,
            "last_seen": iso(charger.last_seen), "heartbeat_interval": charger.heartbeat_interval,
            "server_time": iso(utcnow())}
