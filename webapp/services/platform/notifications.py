"""The in-app notification centre."""
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import Notification
from ...timeutil import utcnow
from ..errors import NotFound


def notify(user_id: int, kind: str, title: str, body: str = "", link: str | None = None,
           dedupe_key: str | None = None) -> None:
    """Queue a notification in the caller's transaction; `dedupe_key` makes a repeat a no-op."""
    if dedupe_key is not None:
        exists = db.session.execute(select(Notification.id).where(Notification.dedupe_key == dedupe_key)).first()
        if exists:
            return
    note = Notification(user_id=user_id, kind=kind, title=title, body=body, link=link, dedupe_key=dedupe_key)
    try:
        with db.session.begin_nested():
            db.session.add(note)
    except IntegrityError:
        pass  # the same event raced in from another process


def unread_count(user_id: int) -> int:
    return db.session.execute(select(func.count(Notification.id)).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))).scalar_one()


def recent(user_id: int, limit: int = 50) -> list[Notification]:
    return list(db.session.execute(select(Notification).where(Notification.user_id == user_id)
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
