"""Read models for the console: chargers with their connectors, scoped to what a user may see."""
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Charger, Station, User


def visible_chargers(user: User) -> list[Charger]:
    """Every charger for admins; an operator's stations' chargers for operators."""
    query = (select(Charger).options(selectinload(Charger.connectors), selectinload(Charger.station))
             .order_by(Charger.charge_point_id))
    if not user.is_admin:
        query = query.where(Charger.station_id.in_([s.id for s in user.stations]))
    return list(db.session.execute(query).scalars())


def visible_stations(user: User) -> list[Station]:
    query = select(Station).order_by(Station.name)
    if not user.is_admin:
        query = query.where(Station.id.in_([s.id for s in user.stations]))
    return list(db.session.execute(query).scalars())
