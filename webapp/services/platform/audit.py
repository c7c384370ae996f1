"""The audit log: who did what to what, before and after, from where and when. Append-only.

Rows are only ever inserted: a flush that would update or delete an AuditLog row raises, so no code
path (console, API, CLI) can rewrite history.
"""
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import event, or_, select
from sqlalchemy.orm import Session

from ...extensions import db
from ...models import AuditLog, User
from ...timeutil import UTC, iso


class AuditLogIsAppendOnly(RuntimeError):
    """Raised when something tries to change or delete an audit entry."""


@event.listens_for(Session, "before_flush")
def _refuse_rewrites(session: Session, flush_context, instances) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditLog) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditLogIsAppendOnly("Audit entries cannot be changed or deleted")


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


def record(user_id: int | None, action: str, target_type: str, target_id=None, before: dict | None = None,
           after: dict | None = None, ip: str | None = None) -> AuditLog:
    """Append one entry and commit it (the action it describes has already been committed)."""
    entry = AuditLog(user_id=user_id, action=action[:64], target_type=target_type[:32],
                     target_id=None if target_id is None else str(target_id)[:64],
                     before=_plain(before) if before is not None else None,
                     after=_plain(after) if after is not None else None, ip=(ip or None) and ip[:45])
    db.session.add(entry)
    db.session.commit()
    return entry


def search_query(q: str = "", action: str = "", target_type: str = "", user_id: int | None = None,
                 day_from: date | None = None, day_to: date | None = None):
    """A SELECT of entries matching the filters, newest first."""
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
    if day_from:
        query = query.where(AuditLog.created_at >= datetime.combine(day_from, time.min, UTC))
    if day_to:
        query = query.where(AuditLog.created_at < datetime.combine(day_to + timedelta(days=1), time.min, UTC))
    return query


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
