"""The audit log: who did what to what, before and after, from where and when. Append-only.

Rows are only ever inserted: a flush that would update or delete an AuditLog row raises, so no code
path (console, API, CLI) can rewrite history.

Services write the entries (`log`), in the same transaction as the change they describe; who acted and
through what comes from the actor of the moment: `acting_as(...)` set by the CLI and the jobs, and in a
request the signed-in user (or the API token's user) and the blueprint (console, app or api).
"""
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal

from sqlalchemy import event, or_, select
from sqlalchemy.orm import Session

from ...extensions import db
from ...models import AuditLog, User
from ...timeutil import UTC, iso
from . import days


class AuditLogIsAppendOnly(RuntimeError):
    """Raised when something tries to change or delete an audit entry."""


@event.listens_for(Session, "before_flush")
def _refuse_rewrites(session: Session, flush_context, instances) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditLog) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditLogIsAppendOnly("Audit entries cannot be changed or deleted")


#: The channels a change can come through (AuditLog.via).
CHANNELS = ("console", "app", "api", "cli", "job", "charger", "system")
_BLUEPRINT_CHANNEL = {"admin": "console", "driver": "app", "auth": "app", "api": "api", "device": "api",
                      "ocpp": "charger"}


@dataclass(frozen=True, slots=True)
class Actor:
    """Who made a change (a user id, or None for the system itself) and through what."""
    user_id: int | None
    via: str
    ip: str | None = None


_actor: ContextVar[Actor | None] = ContextVar("audit_actor", default=None)


@contextmanager
def acting_as(user_id: int | None, via: str, ip: str | None = None):
    """Attribute the audit entries written inside the block to this actor (CLI commands, jobs, tests)."""
    if via not in CHANNELS:
        raise ValueError(f"unknown audit channel {via!r}")
    token = _actor.set(Actor(user_id, via, ip))
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor() -> Actor:
    """The actor set by `acting_as`, else the request's user and channel, else the system."""
    actor = _actor.get()
    if actor is not None:
        return actor
    from flask import g, has_request_context, request  # noqa: PLC0415 - only inside a request

    if not has_request_context():
        return Actor(None, "system")
    user = getattr(g, "api_user", None)
    if user is None:
        from flask_login import current_user  # noqa: PLC0415

        user = current_user if getattr(current_user, "is_authenticated", False) else None
    via = _BLUEPRINT_CHANNEL.get((request.blueprint or "").split(".")[0], "system")
    return Actor(getattr(user, "id", None), via, request.remote_addr)


def _plain(value):
    """JSON-safe copy of a value for the before/after columns."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    return value


def snapshot(obj, fields: tuple[str, ...] | list[str]) -> dict:
    """The named attributes of a row as a JSON-safe dict (for before/after)."""
    return {name: _plain(getattr(obj, name)) for name in fields}


def changes(before: dict | None, after: dict | None) -> list[tuple[str, object, object]]:
    """(field, old, new) for every field that differs, for display."""
    before, after = before or {}, after or {}
    return [(k, before.get(k), after.get(k)) for k in sorted(set(before) | set(after))
            if before.get(k) != after.get(k)]


def log(action: str, target_type: str, target_id=None, before: dict | None = None, after: dict | None = None,
        actor: Actor | None = None) -> AuditLog:
    """Add one entry for the current actor to the session: the caller's commit writes it with the change."""
    actor = actor or current_actor()
    entry = AuditLog(user_id=actor.user_id, via=actor.via, action=action[:64], target_type=target_type[:32],
                     target_id=None if target_id is None else str(target_id)[:64],
                     before=_plain(before) if before is not None else None,
                     after=_plain(after) if after is not None else None, ip=(actor.ip or None) and actor.ip[:45])
    db.session.add(entry)
    return entry


def search_query(q: str = "", action: str = "", target_type: str = "", user_id: int | None = None,
                 day_from: date | None = None, day_to: date | None = None, via: str = "", zone: tzinfo = UTC):
    """A SELECT of entries matching the filters, newest first (days on `zone`'s clock)."""
    query = select(AuditLog).outerjoin(User, AuditLog.user_id == User.id).order_by(AuditLog.id.desc())
    if q:
        like = f"%{q.strip()}%"
        query = query.where(or_(AuditLog.action.ilike(like), AuditLog.target_id.ilike(like),
                                AuditLog.target_type.ilike(like), User.email.ilike(like), AuditLog.ip.ilike(like)))
    if action:
        query = query.where(AuditLog.action.ilike(f"{action.strip()}%"))
    if target_type:
        query = query.where(AuditLog.target_type == target_type)
    if user_id:
        query = query.where(AuditLog.user_id == user_id)
    if via:
        query = query.where(AuditLog.via == via)
    return days.between(query, AuditLog.created_at, day_from, day_to, zone)


def actions() -> list[str]:
    """Every action name recorded so far (for the filter)."""
    return list(db.session.execute(select(AuditLog.action).distinct().order_by(AuditLog.action)).scalars())


def target_types() -> list[str]:
    """Every target type recorded so far (for the filter)."""
    return list(db.session.execute(select(AuditLog.target_type).distinct().order_by(AuditLog.target_type))
                .scalars())


def for_target(target_type: str, target_id, limit: int = 20) -> list[AuditLog]:
    """The latest entries about one row (shown on its detail page)."""
    return list(db.session.execute(select(AuditLog).where(AuditLog.target_type == target_type,
                                                          AuditLog.target_id == str(target_id))
                                   .order_by(AuditLog.id.desc()).limit(limit)).scalars())
