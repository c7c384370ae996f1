"""Finding the connector a client means: by charge point id and OCPP number, or the first free one of a station."""
from sqlalchemy import select

from ...extensions import db
from ...models import Booking, Charger, Connector, User
from ..booking import bookings
from . import availability
from ..errors import ChargerUnavailable, Conflict, NotFound


def by_number(cp_id: str, number: int) -> Connector:
    """The connector `number` of charger `cp_id`; NotFound names which part is unknown."""
    charger = db.session.execute(select(Charger).where(Charger.charge_point_id == cp_id)).scalar_one_or_none()
    if charger is None or charger.retired:
        raise NotFound(f"No charger {cp_id}.", {"charger_id": cp_id})
    connector = charger.connector(number)
    if connector is None:
        raise NotFound(f"Charger {cp_id} has no connector {number}.", {"charger_id": cp_id, "connector_id": number})
    return connector


def hold_first_free(user: User, station_id: int, plug_type: str | None = None) -> Booking:
    """Hold any free connector of a station: one just taken by a simultaneous request is skipped for the
    next free one, so N requests fill N free connectors; ChargerUnavailable once none is left."""
    for connector_id in _bookable_ids(station_id, plug_type):
        try:
            return bookings.place_hold(user, connector_id)
        except Conflict as exc:
            if "booking_id" in exc.details:  # the driver's own live booking: no other connector helps
                raise
            db.session.rollback()
    raise ChargerUnavailable("No chargers are available at this station right now.",
                             {"station_id": station_id})


def _bookable_ids(station_id: int, plug_type: str | None) -> list[int]:
    """Ids of the station's connectors a hold would accept now (at least one), else the reason none would."""
    view = availability.station_view(station_id, fresh=True)  # a decision: never from a snapshot
    if view is None:
        raise NotFound("No such station.")
    candidates = [c for c in view.connectors
                  if plug_type is None or c.connector.plug_type == plug_type]
    bookable = [c.connector.id for c in candidates if c.bookable]
    if bookable:
        return bookable
    if candidates:  # raises the rule's own reason (closed...)
        bookings.check_connector_bookable(db.session.get(Connector, candidates[0].connector.id))
    raise ChargerUnavailable("No chargers are available at this station right now.",
                             {"station_id": station_id})
