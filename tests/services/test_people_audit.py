"""Accounts, money and exports audit themselves (issue 13 point 5): each change writes its entry in its own
transaction with who acted and through what (console, app, api, cli), and a refused change writes none."""
import uuid

import pytest

from webapp.extensions import db
from webapp.models import AuditLog, User
from webapp.services.accounts import accounts, roles
from webapp.services.errors import Conflict, InvalidInput
from webapp.services.money import balance, ledger
from webapp.services.platform import audit


def entries(action):
    db.session.commit()
    return db.session.execute(db.select(AuditLog).where(AuditLog.action == action)).scalars().all()


def test_cli_create_user_is_audited_as_cli(app):
    result = app.test_cli_runner().invoke(args=["create-user", "cli@example.com", "Cli User", "--role", "operator",
                                                "--password", "a long cli passphrase"])
    assert result.exit_code == 0, result.output
    user = db.session.execute(db.select(User).where(User.email == "cli@example.com")).scalar_one()
    [entry] = [e for e in entries("user.create") if e.target_id == str(user.id)]
    assert entry.via == "cli" and entry.user_id is None
    assert entry.after == {"email": "cli@example.com", "name": "Cli User", "role": "operator", "battery_kwh": None}


def test_a_refused_create_user_writes_nothing(app, factory):
    factory.user(email="taken@example.com")
    before = len(entries("user.create"))
    result = app.test_cli_runner().invoke(args=["create-user", "taken@example.com", "Again",
                                                "--password", "a long cli passphrase"])
    assert result.exit_code != 0 and "already exists" in result.output
    assert len(entries("user.create")) == before


def test_registering_in_the_app_is_audited_as_app(client):
    response = client.post("/register", data={"email": "new@example.com", "name": "New", "password": "long-enough-1",
                                              "battery_kwh": "60"})
    assert response.status_code == 302
    user = db.session.execute(db.select(User).where(User.email == "new@example.com")).scalar_one()
    [entry] = [e for e in entries("user.create") if e.target_id == str(user.id)]
    assert entry.via == "app" and entry.after["battery_kwh"] == 60


def test_a_password_change_is_audited_with_its_user(client, factory, login):
    user = factory.user()
    login(user)
    response = client.post("/account/password", data={"current_password": "charge-test-pass",
                                                      "new_password": "a new long passphrase",
                                                      "confirm_password": "a new long passphrase"})
    assert response.status_code == 302
    [entry] = entries("user.password")
    assert (entry.user_id, entry.via, entry.target_id) == (user.id, "app", str(user.id))
    wrong = client.post("/account/password", data={"current_password": "not the password",
                                                   "new_password": "another long passphrase",
                                                   "confirm_password": "another long passphrase"})
    assert wrong.status_code == 422 and len(entries("user.password")) == 1


def test_role_changes_from_the_cli_or_a_job_carry_their_channel(factory):
    admin, driver = factory.user("admin"), factory.user()
    with audit.acting_as(admin.id, "cli"):
        roles.change_role(admin, driver, "operator")
    [entry] = entries("user.role")
    assert (entry.user_id, entry.via) == (admin.id, "cli") and entry.after["role"] == "operator"
    with audit.acting_as(None, "job"), pytest.raises(Conflict):
        roles.reactivate(driver)  # active already: refused, nothing written
    assert entries("user.reactivate") == []


def test_an_unknown_station_writes_no_entry_and_changes_nothing(factory):
    operator = factory.user("operator")
    with pytest.raises(InvalidInput):
        roles.assign_stations(operator, [2_000_000])
    db.session.rollback()
    assert entries("user.stations") == [] and db.session.get(User, operator.id).stations == []


def test_a_waiver_rolled_back_leaves_no_entry(factory, monkeypatch):
    staff, driver = factory.user("admin"), factory.user()
    ledger.add(f"owed:{uuid.uuid4().hex}", driver.id, "owed", 900, "INR", reason="capture failed")
    db.session.commit()

    def broken(*args, **kwargs):
        raise RuntimeError("notification store down")

    monkeypatch.setattr("webapp.services.money.balance.notifications.notify", broken)
    with audit.acting_as(staff.id, "cli"), pytest.raises(RuntimeError):
        balance.waive(driver.id, "goodwill", staff.id)
    db.session.rollback()
    assert entries("balance.waive") == [] and ledger.outstanding(driver.id) == 900
    monkeypatch.undo()
    with audit.acting_as(staff.id, "cli"):
        assert balance.waive(driver.id, "goodwill", staff.id) == 900
    [entry] = entries("balance.waive")
    assert (entry.user_id, entry.via) == (staff.id, "cli") and entry.after["outstanding"] == 0


def test_registration_rules_stay_in_the_service(app):
    with pytest.raises(InvalidInput):
        accounts.register("not-an-email", "X", "a long passphrase")
    assert entries("user.create") == []
