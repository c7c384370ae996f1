"""Fleet changes are audited by the service that makes them, in the same transaction: who and through what
(console, CLI, job), and nothing is written when the change is refused or rolled back."""
from datetime import timedelta

import pytest

from tests.conftest import release_db
from webapp.extensions import db
from webapp.models import AuditLog, Station
from webapp.services.errors import InvalidInput
from webapp.services.fleet import maintenance, stations, tariffs
from webapp.services.platform import audit
from webapp.timeutil import utcnow

from .test_maintenance import plan
from .test_stations import GOOD, TARIFF


def entries(action: str) -> list[AuditLog]:
    db.session.commit()
    return list(db.session.execute(db.select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id))
                .scalars())


def test_a_console_change_names_the_user_and_the_console(admin_client, world):
    assert admin_client.post("/admin/stations/new", data=GOOD).status_code == 302
    entry, = entries("station.create")
    assert (entry.user_id, entry.via, entry.after["name"]) == (world.admin.id, "console", "Koramangala Hub")
    assert entry.ip == "127.0.0.1"


def test_a_tariff_change_keeps_before_and_after_in_minor_units(admin_client, world):
    tariff_id = world.station.tariff_id
    admin_client.post(f"/admin/tariffs/{tariff_id}/edit", data={**TARIFF, "price_per_kwh": "14"})
    entry, = entries("tariff.update")
    assert entry.after["price_per_kwh"] == 1400 and entry.before["price_per_kwh"] != 1400
    assert (entry.user_id, entry.via) == (world.admin.id, "console")


def test_the_add_charger_command_is_audited_as_the_cli(app, world):
    result = app.test_cli_runner().invoke(args=["add-charger", "CLI-AUDIT-1", "--station-id", str(world.station.id),
                                                "--connectors", "3"])
    assert result.exit_code == 0, result.output
    entry, = entries("charger.create")
    assert (entry.user_id, entry.via) == (None, "cli")
    assert entry.after["charge_point_id"] == "CLI-AUDIT-1" and entry.after["connectors"] == 3
    password = result.output.split("Password: ")[1].strip()
    assert password not in str(entry.after)


def test_a_refused_cli_command_writes_nothing(app, world):
    result = app.test_cli_runner().invoke(args=["add-charger", "OWN-1", "--station-id", str(world.station.id)])
    assert result.exit_code != 0 and "already exists" in result.output
    assert entries("charger.create") == []


def test_the_job_that_starts_and_ends_a_window_is_audited_as_a_job(operator_client, world, monkeypatch, run_jobs):
    start = (utcnow() + timedelta(hours=1)).replace(second=0, microsecond=0)
    plan(operator_client, f"station:{world.station.id}", start, start + timedelta(hours=1))
    scheduled, = entries("maintenance.schedule")
    assert (scheduled.user_id, scheduled.via) == (world.operator.id, "console")
    for at, action, state in ((start, "maintenance.start", "active"),
                              (start + timedelta(hours=1), "maintenance.finish", "done")):
        moment = at + timedelta(seconds=1)
        monkeypatch.setattr("webapp.services.fleet.maintenance.utcnow", lambda moment=moment: moment)
        run_jobs(now=moment)
        release_db()
        entry, = entries(action)
        assert (entry.user_id, entry.via, entry.after["state"]) == (None, "job", state)


def test_cancelling_a_window_is_audited_once(operator_client, world):
    assert operator_client.post(f"/admin/maintenance/{world.window.id}/cancel").status_code == 302
    entry, = entries("maintenance.cancel")
    assert (entry.before["state"], entry.after["state"], entry.via) == ("scheduled", "cancelled", "console")
    operator_client.post(f"/admin/maintenance/{world.window.id}/cancel")
    assert len(entries("maintenance.cancel")) == 1


def test_a_command_is_audited_with_the_chargers_answer_or_its_absence(operator_client, world):
    operator_client.post(f"/admin/chargers/{world.charger.id}/commands", data={"command": "reset", "type": "Soft"})
    entry, = entries("charger.command.reset")
    assert (entry.user_id, entry.via, entry.after["action"]) == (world.operator.id, "console", "Reset")
    assert entry.after["error"] and entry.after["answer"] is None  # OWN-1 is not connected here
    operator_client.post(f"/admin/chargers/{world.charger.id}/commands", data={"command": "reset", "type": "Warm"})
    assert len(entries("charger.command.reset")) == 1  # refused before sending: nothing sent, nothing audited


def test_a_change_that_does_not_commit_leaves_no_entry(app, world, monkeypatch):
    """The entry rides in the change's transaction: when the commit fails, neither is written."""
    def broken_commit():
        raise RuntimeError("database went away")

    with audit.acting_as(world.admin.id, "cli"):
        monkeypatch.setattr(db.session, "commit", broken_commit)
        with pytest.raises(RuntimeError):
            tariffs.create_tariff(tariffs.Prices("Doomed", "INR", 1000))
        with pytest.raises(RuntimeError):
            stations.retire_station(world.station)
        monkeypatch.undo()
    db.session.rollback()
    assert entries("tariff.create") == [] and entries("station.retire") == []
    assert db.session.get(Station, world.station.id).status == "active"


def test_a_refused_change_writes_no_entry(app, world):
    with pytest.raises(InvalidInput, match="already over"):
        maintenance.schedule(world.station.id, None, utcnow() - timedelta(hours=2), utcnow() - timedelta(hours=1),
                             "late", world.operator.id)
    db.session.rollback()
    assert entries("maintenance.schedule") == []
