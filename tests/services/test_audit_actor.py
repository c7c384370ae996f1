"""Who made a change and through what: the actor of the moment, written with the change."""
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import AuditLog
from webapp.services.platform import audit


def test_outside_a_request_the_system_acts(app):
    assert audit.current_actor() == audit.Actor(None, "system")


def test_acting_as_sets_and_restores(app):
    with audit.acting_as(7, "cli"):
        assert audit.current_actor() == audit.Actor(7, "cli")
        with audit.acting_as(None, "job"):
            assert audit.current_actor().via == "job"
        assert audit.current_actor().via == "cli"
    assert audit.current_actor().via == "system"


def test_unknown_channel_is_refused(app):
    import pytest
    with pytest.raises(ValueError):
        with audit.acting_as(None, "carrier-pigeon"):
            pass


def test_log_joins_the_callers_transaction(app):
    with audit.acting_as(None, "cli"):
        audit.log("tariff.update", "tariff", 3, {"a": 1}, {"a": 2})
    db.session.rollback()  # the change failed: its entry goes with it
    assert db.session.execute(select(AuditLog)).first() is None
    with audit.acting_as(None, "job"):
        audit.log("tariff.update", "tariff", 3)
    db.session.commit()
    entry = db.session.execute(select(AuditLog)).scalar_one()
    assert (entry.via, entry.user_id, entry.target_id) == ("job", None, "3")


def test_request_channel_comes_from_the_blueprint(app):
    with app.test_request_context("/admin/tariffs", environ_base={"REMOTE_ADDR": "10.0.0.9"}):
        assert audit.current_actor() == audit.Actor(None, "console", "10.0.0.9")
    with app.test_request_context("/api/stations"):
        assert audit.current_actor().via == "api"
    with app.test_request_context("/stations/1"):
        assert audit.current_actor().via == "app"
