"""A Heartbeat of an accepted charger skips parsing, the schema check and dispatch, and answers and logs
exactly what the full path would: the same bytes back, the same OCPP log row (the CALL and its answer),
the same counter. Every
other frame, including a Heartbeat with a payload, an id that needs escaping or before the boot, still
takes the full path and gets its CALLERROR."""
import json
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from webapp import metrics
from webapp.extensions import db
from webapp.models import OcppMessage
from webapp.ocpp import connection, frames, handlers, heartbeats
from webapp.services.charging import writebehind
from webapp.timeutil import iso

NOW = datetime(2026, 12, 1, 15, 4, 5, 678000, tzinfo=timezone.utc)


class Socket:
    def __init__(self):
        self.sent = []

    def send(self, text):
        self.sent.append(text)


@pytest.fixture
def conn(app, factory, monkeypatch):
    monkeypatch.setattr(heartbeats, "current_time", lambda: iso(NOW))
    monkeypatch.setattr(handlers, "utcnow", lambda: NOW)
    monkeypatch.setattr(writebehind, "utcnow", lambda: NOW)
    charger = factory.charger(cp_id="FAST-1", connectors=1)
    with app.test_request_context():
        c = connection.ChargerConnection(Socket(), "FAST-1")
        c.charger_pk, c.accepted, c.booted = charger.id, True, True
        yield c


def logged():
    db.session.commit()
    rows = db.session.execute(db.select(OcppMessage).order_by(OcppMessage.id)).scalars().all()
    db.session.execute(db.delete(OcppMessage))
    db.session.commit()
    return [(r.direction, r.action, r.unique_id, r.payload, r.answer, r.created_at) for r in rows]


def both_paths(c, raw):
    """(reply, log rows) of the fast path and of the full path for the same frame."""
    c.ws.sent.clear()
    c.handle(raw)
    fast = (c.ws.sent[-1], logged())
    c._handle_call(frames.parse(raw), raw)  # the full path, as handle() took it before
    full = (c.ws.sent[-1], logged())
    return fast, full


def _counted():
    return metrics.OCPP_MESSAGES.labels("Heartbeat", "CALLRESULT")._value.get()


def test_the_fast_answer_and_log_are_the_full_paths(conn, monkeypatch):
    took = []
    real = connection.ChargerConnection._heartbeat
    monkeypatch.setattr(connection.ChargerConnection, "_heartbeat",
                        lambda self, *a: (took.append(a), real(self, *a)))
    before = _counted()
    fast, full = both_paths(conn, '[2,"hb-1","Heartbeat",{}]')
    assert took  # the fast path answered the first one
    assert fast == full
    assert json.loads(fast[0]) == [3, "hb-1", {"currentTime": "2026-12-01T15:04:05.678Z"}]
    assert [row[:3] for row in fast[1]] == [("in", "Heartbeat", "hb-1")] and fast[1][0][4] == fast[0]
    assert _counted() == before + 2


IDS = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=36)
SPACE = st.text(alphabet=" \t\r\n", max_size=2)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(unique_id=IDS, gaps=st.lists(SPACE, min_size=10, max_size=10))
def test_any_heartbeat_the_fast_path_takes_gets_the_full_paths_answer(conn, unique_id, gaps):
    uid = json.dumps(unique_id)
    raw = gaps[0] + "[" + gaps[1] + "2" + gaps[2] + "," + gaps[3] + uid + gaps[4] + "," + gaps[5] + \
        '"Heartbeat"' + gaps[6] + "," + gaps[7] + "{" + gaps[8] + "}]" + gaps[9]
    fast, full = both_paths(conn, raw)
    assert fast == full


@pytest.mark.parametrize("raw, code", [
    ('[2,"hb-2","Heartbeat",{"x":1}]', "FormationViolation"),  # no property allowed
    ('[2,"hb-3","Heartbeat",[]]', "FormationViolation"),
    ('[2,"' + "a" * 37 + '","Heartbeat",{}]', "ProtocolError"),
    ('[2,"","Heartbeat",{}]', "ProtocolError"),
    ('[2,"hb-4","Heartbeat",{}]\u00a0', "FormationViolation"),  # not JSON whitespace: not JSON
])
def test_a_malformed_heartbeat_gets_the_full_paths_callerror(conn, raw, code):
    conn.handle(raw)
    answer = json.loads(conn.ws.sent[-1])
    assert answer[0] == 4 and answer[2] == code


def test_an_escaped_id_takes_the_full_path_and_is_answered(conn):
    conn.handle('[2,"a\\"b","Heartbeat",{}]')
    assert json.loads(conn.ws.sent[-1])[:2] == [3, 'a"b']


def test_a_heartbeat_before_an_accepted_boot_is_refused(conn):
    conn.accepted = False
    conn.handle('[2,"hb-5","Heartbeat",{}]')
    assert json.loads(conn.ws.sent[-1])[:3] == [4, "hb-5", "SecurityError"]


def test_the_reply_time_is_the_current_millisecond_as_iso_writes_it(monkeypatch):
    import time as time_module
    from datetime import UTC, datetime

    from webapp.ocpp import heartbeats
    from webapp.timeutil import iso

    for ns in (1_764_619_200_123_999_999, 1_764_619_200_999_000_000, 1_764_619_201_000_000_001, 1_764_619_201_000_500_000):
        monkeypatch.setattr(time_module, "time_ns", lambda ns=ns: ns)
        expected = iso(datetime.fromtimestamp(ns // 10**9, UTC).replace(microsecond=ns % 10**9 // 1000))
        assert heartbeats.current_time() == expected
    before = iso(datetime.now(UTC))
    monkeypatch.undo()
    assert before <= heartbeats.current_time() <= iso(datetime.now(UTC))
