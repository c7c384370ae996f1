"""Sessions end when they should: a copied cookie dies with logout, suspension and a password change end every
browser session and revoke every API token, and the cookies are Secure and HttpOnly in production."""
import pytest
from flask import g
from flask.testing import FlaskClient

from webapp.extensions import db
from webapp.services.accounts import accounts, roles, tokens

PROTECTED = "/history"


class Browser(FlaskClient):
    """The `app` fixture keeps one app context pushed, where Flask-Login caches the user in `g`; forget it before
    each request so every browser is judged by its own cookies alone."""

    def open(self, *args, **kwargs):
        g.pop("_login_user", None)
        return super().open(*args, **kwargs)


@pytest.fixture(autouse=True)
def browsers(app):
    app.test_client_class = Browser


def _signed_in(client) -> bool:
    response = client.get(PROTECTED)
    return response.status_code == 200


def _copy_of(app, client):
    """A second browser holding exactly the first one's cookies (a stolen or copied cookie jar)."""
    copy = app.test_client()
    for name in ("session", "remember_token"):
        cookie = client.get_cookie(name)
        if cookie is not None:
            copy.set_cookie(name, cookie.value)
    return copy


def _log_in(app, user, password="charge-test-pass", remember=False):
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": password,
                                           **({"remember": "1"} if remember else {})})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


def test_a_copied_session_cookie_stops_working_after_logout(app, factory):
    user = factory.user()
    browser = _log_in(app, user)
    copy = _copy_of(app, browser)
    assert _signed_in(copy)
    browser.post("/logout")
    assert not _signed_in(browser)
    assert not _signed_in(copy)


def test_a_copied_remember_cookie_stops_working_after_logout(app, factory):
    user = factory.user()
    browser = _log_in(app, user, remember=True)
    assert browser.get_cookie("remember_token") is not None
    stolen = app.test_client()
    stolen.set_cookie("remember_token", browser.get_cookie("remember_token").value)
    assert _signed_in(stolen)  # the remember cookie alone signs in...
    browser.post("/logout")
    fresh = app.test_client()
    fresh.set_cookie("remember_token", stolen.get_cookie("remember_token").value)
    assert not _signed_in(fresh)  # ...until its owner logs out


def test_suspension_ends_every_session_and_token_and_reactivation_brings_none_back(app, factory):
    admin, user = factory.user("admin"), factory.user()
    browser = _log_in(app, user, remember=True)
    _, access, refresh = tokens.issue_for(user)
    roles.suspend(admin, user)
    roles.reactivate(user)
    assert not _signed_in(browser)
    assert not _signed_in(_copy_of(app, browser))
    assert browser.get("/api/me", headers={"Authorization": f"Bearer {access}"}).status_code == 401
    assert browser.post("/api/auth/refresh", json={"refresh_token": refresh}).status_code == 401
    assert _signed_in(_log_in(app, user))  # signing in again works


def test_a_password_change_ends_every_other_session_and_every_token(app, factory):
    user = factory.user()
    here, elsewhere = _log_in(app, user), _log_in(app, user, remember=True)
    _, access, _ = tokens.issue_for(user)
    response = here.post("/account/password", data={"current_password": "charge-test-pass",
                                                     "new_password": "a new long passphrase",
                                                     "confirm_password": "a new long passphrase"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert _signed_in(here)  # the browser that changed it stays signed in
    assert not _signed_in(elsewhere)
    assert here.get("/api/me", headers={"Authorization": f"Bearer {access}"}).status_code == 401
    assert app.test_client().post("/login", data={"email": user.email, "password": "charge-test-pass"}).status_code == 401
    assert _signed_in(_log_in(app, user, "a new long passphrase"))


def test_a_password_change_needs_the_current_password_and_a_valid_new_one(app, factory):
    user = factory.user()
    browser = _log_in(app, user)
    wrong = browser.post("/account/password", data={"current_password": "not it at all",
                                                    "new_password": "a new long passphrase",
                                                    "confirm_password": "a new long passphrase"})
    assert wrong.status_code == 422 and "current password is wrong" in wrong.get_data(as_text=True)
    mismatch = browser.post("/account/password", data={"current_password": "charge-test-pass",
                                                       "new_password": "a new long passphrase",
                                                       "confirm_password": "another passphrase"})
    assert mismatch.status_code == 422 and "do not match" in mismatch.get_data(as_text=True)
    db.session.expire_all()
    assert user.check_password("charge-test-pass") and _signed_in(browser)


def test_remember_and_session_cookies_are_secure_and_httponly_in_production():
    from tests.ops.test_production import RealProd
    from webapp import create_app

    app = create_app(type("Prod", (RealProd,), {"WTF_CSRF_ENABLED": False}))
    with app.app_context():
        db.create_all()
        user = accounts.register("prod@example.com", "Prod", "a long prod passphrase")
        client = app.test_client()
        response = client.post("/login", data={"email": user.email, "password": "a long prod passphrase",
                                               "remember": "1"}, base_url="https://chargeway.example")
        cookies = {c.split("=", 1)[0]: c.lower() for c in response.headers.getlist("Set-Cookie")}
        assert {"session", "remember_token"} <= set(cookies)
        for name in ("session", "remember_token"):
            assert "; secure" in cookies[name] and "; httponly" in cookies[name], cookies[name]
        db.session.remove()
