"""The notification centre: every notification is a row (the app shows it unless the driver turned its kind
off there); push and email copies go out from jobs after the change commits (services/platform/delivery.py)."""
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import Booking, Charger, Connector, Notification, Station
from ...timeutil import utcnow
from ..errors import NotFound
from . import mail, preferences, push, timers


def notify(user_id: int, kind: str, title: str, body: str = "", link: str | None = None,
           dedupe_key: str | None = None, tz: str | None = None) -> None:
    """Queue a notification in the caller's transaction; `dedupe_key` makes a repeat a no-op. `tz` is the
    station's timezone (default: that of the user's latest booking, else UTC): its time is shown in it."""
    if dedupe_key is not None:
        exists = db.session.execute(select(Notification.id).where(Notification.dedupe_key == dedupe_key)).first()
        if exists:
            return
    channels = preferences.channels(user_id, kind)
    note = Notification(user_id=user_id, kind=kind, title=title, body=body, link=link, dedupe_key=dedupe_key,
                        timezone=tz or latest_timezone(user_id), in_app="in_app" in channels)
    try:
        with db.session.begin_nested():
            db.session.add(note)
    except IntegrityError:
        return  # the same event raced in from another process
    if "push" in channels and push.enabled() and push.has_device(user_id):
        timers.enqueue("jobs.notify.push", note.id)
    if "email" in channels and mail.enabled():
        timers.enqueue("jobs.notify.email", note.id)


def latest_timezone(user_id: int) -> str:
    """The timezone of the station of the user's latest booking (UTC if none)."""
    return db.session.execute(
        select(Station.timezone).join(Charger, Charger.station_id == Station.id)
        .join(Connector, Connector.charger_id == Charger.id).join(Booking, Booking.connector_id == Connector.id)
        .where(Booking.user_id == user_id).order_by(Booking.id.desc()).limit(1)).scalar() or "UTC"


def unread_count(user_id: int) -> int:
    return db.session.execute(select(func.count(Notification.id)).where(
        Notification.user_id == user_id, Notification.in_app.is_(True), Notification.read_at.is_(None))).scalar_one()


def recent(user_id: int, limit: int = 50) -> list[Notification]:
    return list(db.session.execute(select(Notification).where(Notification.user_id == user_id,
                                                              Notification.in_app.is_(True))
                                   .order_by(Notification.id.desc()).limit(limit)).scalars())


def mark_all_read(user_id: int) -> None:
    db.session.execute(update(Notification).where(Notification.user_id == user_id,
                                                  Notification.read_at.is_(None)).values(read_at=utcnow()))
    db.session.commit()


def open_one(user_id: int, note_id: int) -> Notification:
    """Mark one of the user's notifications read and return it (NotFound if it is not theirs)."""
    note = db.session.get(Notification, note_id)
    if note is None or note.user_id != user_id:
        raise NotFound("No such notification.")
    if note.read_at is None:
        note.read_at = utcnow()
        db.session.commit()
    return note
