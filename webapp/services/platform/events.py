"""Charger events and the bounded OCPP message log."""
from datetime import datetime

from flask import current_app
from sqlalchemy import delete, select

from ...extensions import db
from ...models import ChargerEvent, OcppMessage
from ...timeutil import utcnow


def record(charger_id: int, kind: str, detail: str = "", connector_id: int | None = None,
           occurred_at: datetime | None = None) -> ChargerEvent:
    """Add a charger event to the current transaction (the caller commits)."""
    event = ChargerEvent(charger_id=charger_id, kind=kind, detail=detail[:500], connector_id=connector_id,
                         occurred_at=occurred_at or utcnow())
    db.session.add(event)
    return event


def trim_log(charger_id: int) -> int:
    """Delete all but the newest OCPP_LOG_KEEP log rows (exchanges) of a charger; returns how many went."""
    keep = current_app.config["OCPP_LOG_KEEP"]
    cutoff = db.session.execute(
        select(OcppMessage.id).where(OcppMessage.charger_id == charger_id)
        .order_by(OcppMessage.id.desc()).offset(keep).limit(1)
    ).scalar()
    if cutoff is None:
        return 0
    return db.session.execute(delete(OcppMessage).where(OcppMessage.charger_id == charger_id,
                                                        OcppMessage.id <= cutoff)).rowcount
