"""Station ratings: a driver rates a station 1-5 after a completed session."""
from sqlalchemy import func, select

from ...extensions import db
from ...models import Booking, Charger, Connector, User
from . import bookings, trail
from ..errors import Conflict, InvalidInput, NotFound


def rate(user: User, booking_id: int, stars: int) -> Booking:
    """Store 1-5 stars on a completed booking and its session (rating again replaces the first one)."""
    if isinstance(stars, float) and stars.is_integer():  # JSON's 5.0 is the integer 5
        stars = int(stars)
    if isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5:
        raise InvalidInput("Choose from 1 to 5 stars.", {"field": "stars"})
    booking = bookings.get_for_user(user, booking_id, lock=True)
    if booking.user_id != user.id:
        raise NotFound("No such booking.")
    if booking.status != "COMPLETED" or booking.session is None:
        raise Conflict("You can rate the station once your charging session is complete.")
    before = trail.snapshot(booking)
    booking.rating = booking.session.rating = stars
    trail.log("booking.rate", booking, before)
    db.session.commit()
    return booking


def station_ratings(station_ids: list[int]) -> dict[int, tuple[float, int]]:
    """{station id: (average stars, number of ratings)} for stations with at least one rating."""
    if not station_ids:
        return {}
    rows = db.session.execute(
        select(Charger.station_id, func.avg(Booking.rating), func.count(Booking.rating))
        .join(Connector, Booking.connector_id == Connector.id).join(Charger, Connector.charger_id == Charger.id)
        .where(Charger.station_id.in_(station_ids), Booking.rating.is_not(None))
        .group_by(Charger.station_id)).all()
    return {sid: (round(float(avg), 1), count) for sid, avg, count in rows}
