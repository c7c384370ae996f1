"""Retention: old meter samples, charger events, notifications, dead API tokens and surplus OCPP log rows
are deleted by a periodic job (jobs/retention.py), in bounded chunks so no statement holds locks for long.

What is kept: a finished session keeps its totals (energy, cost, state of charge) on its own row; only the
curve of samples behind it goes after METER_SAMPLE_KEEP_DAYS. Samples of a session still open are kept
whatever their age. The OCPP log keeps the newest OCPP_LOG_KEEP rows (a CALL and its answer each) per charger,
and none of a charger that no longer exists (the log has no foreign key: models/events.py).
"""
import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, or_, select

from ...extensions import db
from ...models import ApiToken, Charger, ChargerEvent, ChargingSession, MeterSample, Notification, OcppMessage
from ...timeutil import utcnow
from . import events

log = logging.getLogger(__name__)

CHUNK = 5000


def prune(now=None) -> dict[str, int]:
    """Delete what the retention settings no longer keep; returns the rows deleted per kind."""
    now = now or utcnow()
    cfg = current_app.config
    done = {
        "meter_samples": _meter_samples(now - timedelta(days=cfg["METER_SAMPLE_KEEP_DAYS"])),
        "charger_events": _chunked(ChargerEvent, ChargerEvent.created_at
                                   < now - timedelta(days=cfg["CHARGER_EVENT_KEEP_DAYS"])),
        "notifications": _chunked(Notification, Notification.created_at
                                  < now - timedelta(days=cfg["NOTIFICATION_KEEP_DAYS"])),
        "api_tokens": _chunked(ApiToken, or_(
            ApiToken.refresh_expires_at < now - timedelta(days=cfg["API_TOKEN_KEEP_DAYS"]),
            ApiToken.revoked_at < now - timedelta(days=cfg["API_TOKEN_KEEP_DAYS"]))),
        "ocpp_messages": trim_ocpp_log(),
    }
    if any(done.values()):
        log.info("Retention: deleted %s", ", ".join(f"{n} {kind}" for kind, n in done.items() if n))
    return done


def _meter_samples(cutoff) -> int:
    """Samples older than `cutoff` of sessions that have ended (or of no session)."""
    open_sessions = select(ChargingSession.id).where(ChargingSession.stopped_at.is_(None))
    return _chunked(MeterSample, MeterSample.timestamp < cutoff,
                    or_(MeterSample.session_id.is_(None), MeterSample.session_id.not_in(open_sessions)))


def _chunked(model, *conditions) -> int:
    """Delete the rows of `model` matching `conditions`, CHUNK at a time, each chunk its own transaction."""
    deleted = 0
    while True:
        ids = select(model.id).where(*conditions).limit(CHUNK).scalar_subquery()
        count = db.session.execute(delete(model).where(model.id.in_(ids))).rowcount
        db.session.commit()
        deleted += count
        if count < CHUNK:
            return deleted


def trim_ocpp_log() -> int:
    """Trim every charger's OCPP log back to its newest OCPP_LOG_KEEP rows (exchanges), and delete the rows
    of chargers that are gone."""
    keep = current_app.config["OCPP_LOG_KEEP"]
    deleted = _chunked(OcppMessage, OcppMessage.charger_id.not_in(select(Charger.id)))
    over = db.session.execute(select(OcppMessage.charger_id).group_by(OcppMessage.charger_id)
                              .having(func.count() > keep)).scalars().all()
    for charger_id in over:
        deleted += events.trim_log(charger_id)
        db.session.commit()
    return deleted
