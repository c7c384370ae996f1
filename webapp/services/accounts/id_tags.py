"""Drivers' idTags on the console: operators neither start charges on them nor see them.

An idTag is what a charger bills: a remote start on a driver's tag charges that driver. The console may
start on a staff tag (a staff session, not billed) or on the tag of the live booking on that very
connector (its driver is there and asked for help); admins see drivers' tags, operators see the driver's
email instead.
"""
import re

from flask import g, has_request_context
from sqlalchemy import select

from ...extensions import db
from ...models import LIVE_STATUSES, Booking, Charger, Connector, User
from ..errors import InvalidInput

STAFF_ROLES = ("operator", "admin")
HIDDEN = "hidden"
_FRAME_TAG = re.compile(r'("idTag"\s*:\s*")([^"]*)(")')


def check_remote_start(charger: Charger, connector_number: int, id_tag: str) -> None:
    """InvalidInput unless `id_tag` is an active staff user's or that of the live booking on this connector."""
    staff = db.session.execute(select(User.id).where(User.id_tag == id_tag, User.role.in_(STAFF_ROLES),
                                                     User.active.is_(True))).first()
    if staff is not None:
        return
    booked = db.session.execute(
        select(Booking.id).join(User, User.id == Booking.user_id).join(Connector, Connector.id == Booking.connector_id)
        .where(Connector.charger_id == charger.id, Connector.connector_id == connector_number,
               Booking.status.in_(LIVE_STATUSES), User.id_tag == id_tag)).first()
    if booked is None:
        raise InvalidInput("A remote start uses a staff idTag or the idTag of the booking on this connector; "
                           "a driver's card is billed to that driver.", {"field": "id_tag"})


def _staff_tags() -> frozenset[str]:
    """Every staff idTag (a few rows), once per request."""
    cached = g.get("_staff_id_tags") if has_request_context() else None
    if cached is None:
        cached = frozenset(db.session.execute(select(User.id_tag).where(User.role.in_(STAFF_ROLES))).scalars())
        if has_request_context():
            g._staff_id_tags = cached
    return cached


def reveals(viewer) -> bool:
    """Whether `viewer` sees drivers' idTags (admins do). Read it before streaming: rows are committed in
    between and the user object would be expired."""
    return bool(getattr(viewer, "is_admin", False))


def shown(id_tag: str | None, reveal: bool) -> str:
    """The idTag as a viewer may see it: all when `reveal` (admins), staff tags as they are, a driver's hidden."""
    if not id_tag or reveal or id_tag in _staff_tags():
        return id_tag or ""
    return HIDDEN


def shown_in_frame(text: str, reveal: bool) -> str:
    """An OCPP frame's text with every idTag the viewer may not see replaced."""
    if reveal or "idTag" not in text:
        return text
    return _FRAME_TAG.sub(lambda m: m.group(1) + shown(m.group(2), reveal) + m.group(3), text)
