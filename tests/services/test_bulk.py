"""bulk.insert: one statement per batch on both databases, typed columns round-trip."""
from datetime import timedelta

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import OcppMessage
from webapp.services.charging import writebehind
from webapp.services.platform import bulk
from webapp.timeutil import utcnow


def test_rows_with_nulls_and_utc_times_round_trip(factory):
    charger = factory.charger()
    now = utcnow()
    rows = [{"charger_id": charger.id, "direction": "in", "action": "Heartbeat" if i % 2 else None,
             "unique_id": f"u{i}", "payload": "[2,\"u\",\"Heartbeat\",{}]", "created_at": now + timedelta(seconds=i)}
            for i in range(250)]
    assert bulk.insert(OcppMessage.__table__, rows) == []
    db.session.commit()
    stored = db.session.execute(select(OcppMessage).order_by(OcppMessage.id)).scalars().all()
    assert len(stored) == 250
    assert [m.action for m in stored[:2]] == [None, "Heartbeat"]
    assert stored[-1].created_at == now + timedelta(seconds=249) and stored[-1].created_at.tzinfo is not None


def test_no_rows_is_no_statement():
    assert bulk.insert(OcppMessage.__table__, []) == []


def test_the_ocpp_log_flush_writes_every_exchange(factory):
    charger = factory.charger()
    now = utcnow()
    writebehind._flush_log([(charger.id, d, "MeterValues", "7", "[2]", "[3]" if d == "in" else None, now)
                            for d in ("in", "out")])
    db.session.remove()
    assert sorted(db.session.execute(select(OcppMessage.direction, OcppMessage.answer)).all()) == [
        ("in", "[3]"), ("out", None)]


def test_append_stores_hostile_text_and_naive_times(factory):
    """COPY on PostgreSQL: tabs, newlines, backslashes and quotes survive; a naive time is UTC, as everywhere."""
    charger = factory.charger()
    now = utcnow()
    hostile = 'tab\there\nnew line \\N back\\slash "quoted" \\. end'
    columns = ("created_at", "payload", "answer", "unique_id", "action", "direction", "charger_id")  # any order
    rows = [(now, hostile, hostile[::-1], "a\tb", None, "in", charger.id),
            (now.replace(tzinfo=None) + timedelta(seconds=1), "{}", None, None, "Heartbeat", "out", charger.id)]
    bulk.append(OcppMessage.__table__, columns, rows)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.execute(select(OcppMessage).order_by(OcppMessage.id)).scalars().all()
    assert [(m.direction, m.action, m.unique_id, m.payload, m.answer) for m in stored] == [
        ("in", None, "a\tb", hostile, hostile[::-1]), ("out", "Heartbeat", None, "{}", None)]
    assert stored[1].created_at == now + timedelta(seconds=1)


def test_a_row_the_database_refuses_fails_the_append_and_nothing_of_it_stays(factory):
    import pytest

    charger = factory.charger()
    columns = ("charger_id", "direction", "action", "unique_id", "payload", "created_at")
    rows = [(charger.id, "in", "A", "1", "ok", utcnow()), (charger.id, "in", "A", "2", None, utcnow())]  # no payload
    with pytest.raises(Exception, match="(?i)null"):
        bulk.append(OcppMessage.__table__, columns, rows)
        db.session.commit()
    db.session.rollback()
    assert db.session.execute(select(OcppMessage.id)).first() is None
