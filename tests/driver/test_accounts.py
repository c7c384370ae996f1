"""Accounts: register, log in/out, hashed passwords, CSRF, lock-out, per-address rate limit, suspension."""
import logging
import re

import pytest
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import AuditLog, User


def register(client, email="new@example.com", password="s3cret-pass", name="New Driver"):
    return client.post("/register", data={"email": email, "name": name, "password": password})


def test_register_logs_in_hashes_password_and_gives_unique_id_tag(client):
    assert register(client).status_code == 302
    assert register(client, email="other@example.com").status_code == 302
    users = db.session.execute(select(User).order_by(User.id)).scalars().all()
    assert [u.email for u in users] == ["new@example.com", "other@example.com"]
    assert all("s3cret-pass" not in u.password_hash and u.password_hash.startswith(("scrypt:", "pbkdf2:"))
               for u in users)
    tags = [u.id_tag for u in users]
    assert len(set(tags)) == 2 and all(1 <= len(t) <= 20 for t in tags)
    page = client.get("/")
    assert "Log out" in page.get_data(as_text=True)


@pytest.mark.parametrize("form, message", [
    ({"email": "not-an-email", "name": "A", "password": "long-enough"}, "valid email"),
    ({"email": "a@example.com", "name": "", "password": "long-enough"}, "Enter your name"),
    ({"email": "a@example.com", "name": "A", "password": "short"}, "at least 10"),
    ({"email": "a@example.com", "name": "A", "password": "long-enough", "battery_kwh": "lots"}, "number of kWh"),
])
def test_register_refuses_bad_input_clearly(client, form, message):
    response = client.post("/register", data=form)
    assert response.status_code in (409, 422)
    assert message in response.get_data(as_text=True)
    assert db.session.execute(select(User)).first() is None


def test_duplicate_email_is_refused(client, factory):
    factory.user(email="taken@example.com")
    response = register(client, email="Taken@Example.com")
    assert response.status_code == 409
    assert "already exists" in response.get_data(as_text=True)


def test_login_and_logout(client, factory):
    user = factory.user(email="d@example.com")
    response = client.post("/login", data={"email": "d@example.com", "password": "charge-test-pass"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/history").status_code == 200
    assert client.post("/logout").status_code == 302
    assert client.get("/history").status_code == 302  # back to the login page
    assert user.id


def test_driver_pages_need_login(client, factory):
    charger = factory.charger()
    for url in ("/history", "/notifications", "/bookings/1", "/charge", "/c/anything"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    response = client.post("/bookings", data={"connector_id": charger.connectors[0].id})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_repeated_failures_are_throttled_and_each_logged(client, factory, app, caplog):
    """Five failures for one account from one address: that pair gets 429 (no lock on the account itself)."""
    factory.user(email="d@example.com")
    caplog.set_level(logging.WARNING, logger="webapp.services.accounts.accounts")
    for _ in range(5):
        response = client.post("/login", data={"email": "d@example.com", "password": "wrong-one"})
        assert response.status_code == 401
        assert "Wrong email or password" in response.get_data(as_text=True)
    response = client.post("/login", data={"email": "d@example.com", "password": "charge-test-pass"})
    assert response.status_code == 429
    assert "Too many failed logins" in response.get_data(as_text=True)
    failures = [r for r in caplog.records if "Failed login for d@example.com" in r.getMessage()]
    assert len(failures) == 5
    audit = db.session.execute(select(AuditLog).where(AuditLog.action == "login_failed")).scalars().all()
    assert len(audit) == 5


@pytest.fixture
def app_overrides(request):
    return getattr(request, "param", {})


@pytest.mark.parametrize("app_overrides", [{"LOGIN_FAILURES_PER_ADDRESS": "3 per 15 minutes"}], indirect=True)
def test_one_address_is_rate_limited_across_accounts(client, factory):
    factory.user(email="real@example.com")
    for n in range(3):  # guessing different accounts never locks any of them, but the address is limited
        assert client.post("/login", data={"email": f"guess{n}@example.com", "password": "x" * 8}).status_code == 401
    response = client.post("/login", data={"email": "real@example.com", "password": "charge-test-pass"})
    assert response.status_code == 429
    assert "Too many failed logins" in response.get_data(as_text=True)


def test_suspended_user_cannot_log_in_and_is_logged_out(client, factory, login):
    user = factory.user(email="s@example.com")
    login(user)
    user.active = False
    db.session.commit()
    assert client.get("/history").status_code == 302  # the open session ends too
    response = client.post("/login", data={"email": "s@example.com", "password": "charge-test-pass"})
    assert response.status_code == 403
    assert "suspended" in response.get_data(as_text=True)


@pytest.mark.parametrize("app_overrides", [{"WTF_CSRF_ENABLED": True}], indirect=True)
def test_every_form_needs_the_csrf_token(client, factory):
    user = factory.user(email="c@example.com")
    charger = factory.charger()
    assert client.post("/login", data={"email": user.email, "password": "charge-test-pass"}).status_code == 400
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": user.email, "password": "charge-test-pass", "csrf_token": token})
    assert response.status_code == 302
    refused = client.post("/bookings", data={"connector_id": charger.connectors[0].id})
    assert refused.status_code == 400 and "This form has expired" in refused.get_data(as_text=True)
    response = client.post("/bookings", data={"connector_id": charger.connectors[0].id},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 303
