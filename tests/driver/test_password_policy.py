"""Passwords: 10 to 128 characters and not one of the bundled most common passwords, at registration and on
change; the demo accounts and the test factories pass the same rule."""
import pytest

from webapp.services.accounts import password_policy
from webapp.services.demo import demo


@pytest.mark.parametrize("password, message", [
    ("nine-char", "at least 10"), ("x" * 129, "at most 128"),
    ("password123", "most common"), ("PASSWORD123", "most common"), ("1234567890", "most common"),
    ("qwertyuiop", "most common"),
])
def test_registration_refuses_short_long_and_common_passwords(client, password, message):
    response = client.post("/register", data={"email": "new@example.com", "name": "New", "password": password})
    assert response.status_code == 422, response.status_code
    assert message in response.get_data(as_text=True)


def test_registration_accepts_ten_to_128_uncommon_characters(client):
    for n, password in enumerate(("ten-chars!", "p" + "assphrase-" * 12 + "1234567")):
        assert len(password) in (10, 128)
        response = client.post("/register", data={"email": f"ok{n}@example.com", "name": "Ok", "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
        client.post("/logout")


def test_the_change_password_form_applies_the_same_rule(client, factory, login):
    login(factory.user())
    response = client.post("/account/password", data={"current_password": "charge-test-pass",
                                                      "new_password": "password123", "confirm_password": "password123"})
    assert response.status_code == 422 and "most common" in response.get_data(as_text=True)


def test_the_bundled_list_is_loaded_and_the_demo_and_test_passwords_pass_it():
    assert len(password_policy._common()) > 1500 and password_policy.is_common("iloveyou123")
    for _, _, password in (demo.DEMO_DRIVER, demo.DEMO_ADMIN, demo.DEMO_OPERATOR):
        assert password_policy.check_new(password)
    assert password_policy.check_new("charge-test-pass")
