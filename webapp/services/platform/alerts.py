"""Alerts for the people who run a station: its operators and every admin."""
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import Station, User
from . import notifications


def alert_staff(station_id: int | None, kind: str, title: str, body: str, link: str,
                dedupe_key: str | None = None) -> None:
    """Notify the operators of a station and every admin (once per user and `dedupe_key`, when given)."""
    staff = db.session.execute(select(User).where(User.role.in_(("operator", "admin")), User.active.is_(True))
                               .options(selectinload(User.stations))).scalars()
    tz = db.session.execute(select(Station.timezone).where(Station.id == station_id)).scalar() if station_id else None
    for user in staff:
        if user.role == "admin" or any(s.id == station_id for s in user.stations):
            notifications.notify(user.id, kind, title, body, link,
                                 dedupe_key=f"{dedupe_key}-{user.id}" if dedupe_key else None, tz=tz or "UTC")
