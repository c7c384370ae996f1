"""Finding the connector a client means: by charge point id and OCPP number, or the first free one of a station."""
from sqlalchemy import select

from ..extensions import db
from ..models import Charger, Connector
from . import availability, bookings
from .errors import ChargerUnavailable, NotFound


def by_number(cp_id: str, number: int) -> Connector:
    """The connector `number` of charger `cp_id`; NotFound names which part is unknown."""
    charger = db.session.execute(select(Charger).where(Charger.charge_point_id == cp_id)).scalar_one_or_none()
    if charger is None or charger.retired:
        raise NotFound(f"No charger {cp_id}.", {"charger_id": cp_id})
    connector = charger.connector(number)
    if connector is None:
        raise NotFound(f"Charger {cp_id} has no connector {number}.", {"charger_id": cp_id, "connector_id": number})
    return connector


def first_bookable(station_id: int, plug_type: str | None = None) -> Connector:
    """The first connector of a station a hold would accept now, else the reason none would."""
    view = availability.station_view(station_id, fresh=True)  # a decision: never from a snapshot
    if view is None:
        raise NotFound("No such station.")
    candidates = [c for c in view.connectors
                  if plug_type is None or c.connector.plug_type == plug_type]
    for candidate in candidates:
        if candidate.bookable:
            return db.session.get(Connector, candidate.connector.id)
    if candidates:  # raises the rule's own reason (closed...)
        bookings.check_connector_bookable(db.session.get(Connector, candidates[0].connector.id))
    raise ChargerUnavailable("No chargers are available at this station right now.",
                             {"station_id": station_id})
