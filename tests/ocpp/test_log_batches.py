"""One charger's bad frame never costs the OCPP message log of the others (issue 11 point 6)."""
import pytest
from sqlalchemy import func, select

from tests.conftest import release_db, wait_until
from webapp.extensions import db
from webapp.models import Charger, OcppMessage
from webapp.services.charging import writebehind
from webapp.timeutil import utcnow

pytestmark = pytest.mark.both_dbs


@pytest.fixture
def app_overrides():
    return {"HEARTBEAT_INTERVAL": 2, "OCPP_PING_INTERVAL": 2, "OCPP_LOG_FLUSH_SECONDS": 0.5}


def _logged(cp_id):
    release_db()
    return db.session.execute(select(OcppMessage).join(Charger, Charger.id == OcppMessage.charger_id)
                              .where(Charger.charge_point_id == cp_id).order_by(OcppMessage.id)).scalars().all()


def test_hostile_actions_are_logged_cleaned_and_the_other_chargers_rows_survive(raw, make_charger):
    good = raw("CP-LOG-GOOD", make_charger("CP-LOG-GOOD"))
    bad = raw("CP-LOG-BAD", make_charger("CP-LOG-BAD"))
    good.boot()
    bad.boot()
    wait_until(lambda: len(_logged("CP-LOG-GOOD")) == 1 and len(_logged("CP-LOG-BAD")) == 1)  # the boots
    # In one flush interval: the good charger's heartbeats and five hostile frames of the other one.
    assert good.call("Heartbeat", {})[0] == 3
    for frame, answer in (('[2, "a", "' + "Y" * 60 + '", {}]', 4), ('[2, "b", "Bad\\u0000Action", {}]', 4),
                          ('[2, "c", "\\ud800", {}]', 4), ('[2, "d\\u0000", "Heartbeat", {}]', 3),
                          ("\x00 not json", 4)):
        bad.send_raw(frame)
        assert bad.recv()[0] == answer
    assert good.call("Heartbeat", {})[0] == 3
    wait_until(lambda: len(_logged("CP-LOG-GOOD")) == 3, message="the good charger's heartbeats were lost")
    wait_until(lambda: len(_logged("CP-LOG-BAD")) == 1 + 5)  # four CALLs with their answers, one frame alone
    rows = _logged("CP-LOG-BAD")[1:]
    assert rows[0].action == "Y" * 48
    assert rows[1].action == "Bad\ufffdAction" and rows[2].action == "\ufffd"
    assert [r.answer is None for r in rows] == [False] * 4 + [True]
    assert all("\x00" not in (r.payload + (r.answer or "") + (r.action or "") + (r.unique_id or "")) for r in rows)


def test_a_row_the_database_still_refuses_costs_only_itself(app, factory):
    charger = factory.charger(cp_id="CP-LOG-ROW")
    rows = [(charger.id, "in", "Heartbeat", str(i), None if i == 1 else "[]", "[3]", utcnow()) for i in range(3)]
    # rows[1]: no payload, which the table refuses (log_exchange never queues one: what it cannot foresee)
    db.session.commit()
    writebehind._flush_log(rows)
    count = db.session.execute(select(func.count()).select_from(OcppMessage)
                               .where(OcppMessage.charger_id == charger.id)).scalar()
    assert count == 2


def test_the_ocpp_log_is_trimmed_by_the_periodic_job(app, raw, make_charger, scheduler):
    app.config.update(OCPP_LOG_KEEP=5, OCPP_LOG_FLUSH_SECONDS=0)
    client = raw("CP-LOG-TRIM", make_charger("CP-LOG-TRIM"))
    client.boot()
    for _ in range(20):
        assert client.call("Heartbeat", {})[0] == 3
    from webapp.services.platform import timers

    # The scheduler ran every periodic job when it started; the next retention run is due now.
    timers.backend().schedule("webapp.services.platform.timers._periodic", utcnow(), ("jobs.retention.run",
                                                                              "RETENTION_SECONDS"))
    wait_until(lambda: len(_logged("CP-LOG-TRIM")) == 5, message="the OCPP log was not trimmed on schedule")
