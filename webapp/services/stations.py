"""Stations, chargers and connectors: creating and changing them."""
import re
import secrets

from sqlalchemy import select

from ..extensions import db
from ..models import Charger, Connector, Station
from .errors import Conflict, InvalidInput, NotFound

CP_ID = re.compile(r"^[A-Za-z0-9._\-]{1,48}$")
PLUG_TYPES = ("Type2", "CCS2", "CHAdeMO", "Type1", "GB/T", "Bharat AC-001", "Bharat DC-001")


def add_charger(station_id: int, cp_id: str, connectors: int = 2, power_kw: float = 22.0,
                plug: str = "Type2", supports_reservation: bool = True) -> tuple[Charger, str]:
    """Create a charger with its connectors and a generated OCPP password (returned once)."""
    station = db.session.get(Station, station_id)
    if station is None:
        raise NotFound("No such station.")
    cp_id = (cp_id or "").strip()
    if not CP_ID.match(cp_id):
        raise InvalidInput("Charge point id: 1-48 letters, digits, '.', '_' or '-'.")
    if not 1 <= connectors <= 8:
        raise InvalidInput("A charger has 1 to 8 connectors.")
    if not 1 <= power_kw <= 400:
        raise InvalidInput("Power must be between 1 and 400 kW.")
    if db.session.execute(select(Charger.id).where(Charger.charge_point_id == cp_id)).first():
        raise Conflict(f"A charger with id {cp_id} already exists.")
    password = secrets.token_urlsafe(18)
    charger = Charger(charge_point_id=cp_id, station=station, registration_status="Accepted",
                      supports_reservation=supports_reservation)
    from flask import current_app

    charger.heartbeat_interval = current_app.config["HEARTBEAT_INTERVAL"]
    charger.set_password(password)
    for n in range(1, connectors + 1):
        charger.connectors.append(Connector(connector_id=n, plug_type=plug, max_power_kw=power_kw))
    db.session.add(charger)
    db.session.commit()
    return charger, password
