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


def test_the_ocpp_log_flush_writes_every_frame(factory):
    charger = factory.charger()
    now = utcnow()
    writebehind._flush_log([{"charger_id": charger.id, "direction": d, "action": "MeterValues", "unique_id": "7",
                             "payload": "{}", "created_at": now} for d in ("in", "out")])
    db.session.remove()
    assert sorted(db.session.execute(select(OcppMessage.direction)).scalars()) == ["in", "out"]


def test_append_stores_hostile_text_naive_times_and_any_key_order(factory):
    """COPY on PostgreSQL: tabs, newlines, backslashes and quotes survive; a naive time is UTC, as everywhere."""
    charger = factory.charger()
    now = utcnow()
    hostile = 'tab\there\nnew line \\N back\\slash "quoted" \\. end'
    rows = [{"charger_id": charger.id, "direction": "in", "action": None, "unique_id": "a\tb",
             "payload": hostile, "created_at": now},
            {"created_at": now.replace(tzinfo=None) + timedelta(seconds=1), "payload": "{}", "unique_id": None,
             "action": "Heartbeat", "direction": "out", "charger_id": charger.id}]  # the same keys, another order
    bulk.append(OcppMessage.__table__, rows)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.execute(select(OcppMessage).order_by(OcppMessage.id)).scalars().all()
    assert [(m.direction, m.action, m.unique_id, m.payload) for m in stored] == [
        ("in", None, "a\tb", hostile), ("out", "Heartbeat", None, "{}")]
    assert stored[1].created_at == now + timedelta(seconds=1)


def test_a_row_the_database_refuses_fails_the_append_and_nothing_of_it_stays(factory):
    import pytest

    charger = factory.charger()
    rows = [{"charger_id": charger.id, "direction": "in", "action": "A", "unique_id": "1", "payload": "ok",
             "created_at": utcnow()},
            {"charger_id": charger.id + 999, "direction": "in", "action": "A", "unique_id": "2", "payload": "no charger",
             "created_at": utcnow()}]
    with pytest.raises(Exception):
        bulk.append(OcppMessage.__table__, rows)
        db.session.commit()
    db.session.rollback()
    assert db.session.execute(select(OcppMessage.id)).first() is None
