"""Charger passwords are 16-20 characters (OCPP 1.6 security whitepaper; MicroOcpp refuses longer keys):
generated ones, the console's, the CLI's; staff may set one and get a clear answer outside 16-20; a
password set before the rule is flagged on the charger's page until it is replaced."""
import re
import string

import pytest

from webapp.extensions import db
from webapp.models import AuditLog, Charger
from webapp.services.fleet import chargers, provisioning, stations

ALLOWED = set(string.ascii_letters + string.digits)


def assert_fits(password):
    assert 16 <= len(password) <= 20, f"{password!r} is {len(password)} characters, not 16-20"
    assert set(password) <= ALLOWED, f"{password!r} has characters outside letters and digits"


def test_generated_passwords_fit_16_to_20(world):
    charger, password = stations.add_charger(world.station.id, "NEW-PW-1")
    assert_fits(password)
    assert chargers.password_check("NEW-PW-1", password) is True
    assert_fits(provisioning.rotate(charger).password)


def test_the_consoles_new_password_fits(operator_client, world):
    page = operator_client.post(f"/admin/chargers/{world.charger.id}/password").get_data(as_text=True)
    password = re.search(r'<code id="cp-password">([^<]+)</code>', page).group(1)
    assert_fits(password)


def test_the_add_charger_command_prints_a_password_that_fits(app, world):
    result = app.test_cli_runner().invoke(args=["add-charger", "CLI-PW-1", "--station-id", str(world.station.id)])
    assert result.exit_code == 0, result.output
    assert_fits(re.search(r"Password: (\S+)", result.output).group(1))


@pytest.mark.parametrize("password, message", [
    ("fifteen-chars15", "16 to 20 characters"),
    ("twenty-one-characters", "16 to 20 characters"),
    ("has a space in it!", "no spaces"),
    ("naïve-password-xyz", "ASCII"),
])
def test_staff_setting_a_password_outside_the_rule_is_told_why(operator_client, world, password, message):
    before = db.session.get(Charger, world.charger.id).password_hash
    response = operator_client.post(f"/admin/chargers/{world.charger.id}/password/set", data={"password": password})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Charger, world.charger.id).password_hash == before, "nothing changed"


def test_staff_can_set_a_password_of_16_to_20_characters(operator_client, world):
    response = operator_client.post(f"/admin/chargers/{world.charger.id}/password/set",
                                    data={"password": "Factory-Key-2024!"})
    assert response.status_code == 302
    db.session.expire_all()
    assert chargers.password_check("OWN-1", "Factory-Key-2024!") is True
    entry = db.session.execute(db.select(AuditLog).order_by(AuditLog.id.desc())).scalars().first()
    assert entry.action == "charger.password_set" and "Factory-Key" not in str(entry.after)
    assert "Password set" in operator_client.get(response.location).get_data(as_text=True)


def test_a_password_longer_than_20_is_flagged_until_it_is_replaced(operator_client, world):
    charger = db.session.get(Charger, world.charger.id)
    charger.set_password("x" * 24)  # what `add-charger` generated before the rule
    db.session.commit()
    page = operator_client.get(f"/admin/chargers/{world.charger.id}").get_data(as_text=True)
    assert "password is outside 16-20 characters" in page
    operator_client.post(f"/admin/chargers/{world.charger.id}/password")
    page = operator_client.get(f"/admin/chargers/{world.charger.id}").get_data(as_text=True)
    assert "password is outside 16-20 characters" not in page
