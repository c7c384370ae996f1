"""Retention (issue 11 point 11): the periodic job deletes what its settings no longer keep, and only that."""
from datetime import timedelta

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import ApiToken, Charger, ChargerEvent, ChargingSession, MeterSample, Notification, OcppMessage
from webapp.services.accounts import tokens
from webapp.services.platform import events, retention, timers
from webapp.timeutil import utcnow

DAY = timedelta(days=1)


def _count(model, *where):
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar()


def test_prune_deletes_only_what_is_past_its_keep(app, factory):
    app.config.update(METER_SAMPLE_KEEP_DAYS=30, CHARGER_EVENT_KEEP_DAYS=10, NOTIFICATION_KEEP_DAYS=20,
                      API_TOKEN_KEEP_DAYS=2, OCPP_LOG_KEEP=3)
    now = utcnow()
    charger = factory.charger(cp_id="CP-RET")
    connector = charger.connectors[0]
    user = factory.user()
    ended = ChargingSession(connector_id=connector.id, id_tag="T", meter_start=0, started_at=now - 40 * DAY,
                            stopped_at=now - 40 * DAY + timedelta(hours=1), energy_wh=5000)
    still_open = ChargingSession(connector_id=connector.id, id_tag="U", meter_start=0, started_at=now - 40 * DAY)
    db.session.add_all([ended, still_open])
    db.session.flush()
    for n, (session, age) in enumerate([(ended, 40), (ended, 1), (still_open, 40), (None, 40), (None, 1)]):
        db.session.add(MeterSample(session_id=session.id if session else None, connector_id=connector.id,
                                   timestamp=now - age * DAY + timedelta(seconds=n), measurand="Energy",
                                   value=1.0, phase="", location=""))
    for age in (11, 9):
        db.session.add(ChargerEvent(charger_id=charger.id, kind="status", created_at=now - age * DAY))
    for age in (21, 19):
        db.session.add(Notification(user_id=user.id, kind="k", title="t", created_at=now - age * DAY))
    old, _, _ = tokens.issue_for(user)
    revoked, _, _ = tokens.issue_for(user)
    fresh, _, _ = tokens.issue_for(user)
    old.refresh_expires_at = now - 3 * DAY
    revoked.revoked_at = now - 3 * DAY
    for n in range(7):
        db.session.add(OcppMessage(charger_id=charger.id, direction="in", action="Heartbeat", unique_id=str(n),
                                   payload="[]"))
    gone = factory.charger()  # deleted by hand: its log has no foreign key to cascade with
    db.session.add(OcppMessage(charger_id=gone.id, direction="in", action="Heartbeat", unique_id="gone", payload="[]"))
    db.session.commit()
    db.session.execute(db.delete(Charger).where(Charger.id == gone.id))
    db.session.commit()

    done = retention.prune()

    assert done == {"meter_samples": 2, "charger_events": 1, "notifications": 1, "api_tokens": 2,
                    "ocpp_messages": 4 + 1}
    assert _count(MeterSample) == 3  # the recent ones and the open session's old one
    assert _count(MeterSample, MeterSample.session_id == still_open.id) == 1
    assert db.session.get(ChargingSession, ended.id).energy_wh == 5000  # the totals stay
    assert _count(ChargerEvent, ChargerEvent.charger_id == charger.id, ChargerEvent.created_at < now - 10 * DAY) == 0
    assert _count(Notification) == 1
    assert [t.id for t in db.session.execute(select(ApiToken)).scalars()] == [fresh.id]
    assert sorted(m.unique_id for m in db.session.execute(select(OcppMessage)).scalars()) == ["4", "5", "6"]
    assert retention.prune() == dict.fromkeys(done, 0)  # idempotent


def test_retention_is_a_periodic_job_and_the_log_is_not_trimmed_inline(app, factory):
    assert ("jobs.retention.run", "RETENTION_SECONDS") in timers.PERIODIC
    assert not hasattr(events, "maybe_trim_log")
