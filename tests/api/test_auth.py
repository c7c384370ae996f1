"""Tokens: issue, use, expire, refresh (rotating), revoke; suspended accounts refused, failures throttled."""
from datetime import timedelta

import pytest

from webapp.extensions import db
from webapp.models import ApiToken
from webapp.services.accounts import tokens
from webapp.timeutil import utcnow

from .conftest import assert_error


def _issue(client, email, password="charge-test-pass"):
    return client.post("/api/auth/token", json={"email": email, "password": password})


@pytest.mark.both_dbs
def test_email_and_password_give_a_bearer_token_with_an_expiry(client, driver):
    response = _issue(client, driver.email)
    assert response.status_code == 201
    body = response.get_json()
    assert body["token_type"] == "Bearer"
    assert 3500 <= body["expires_in"] <= 3600
    assert body["expires_at"].endswith("Z") and body["refresh_expires_at"].endswith("Z")
    assert body["user"]["email"] == driver.email and body["user"]["battery_kwh"] == 40.0
    me = client.get("/api/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.get_json()["id"] == driver.id
    # only digests are stored
    row = db.session.query(ApiToken).one()
    assert body["access_token"] not in (row.access_hash, row.refresh_hash)


def test_wrong_password_is_401_and_counts_towards_the_limit(client, driver, app):
    wrong = assert_error(_issue(client, driver.email, "wrong-password"), 401, "unauthorized")
    assert assert_error(_issue(client, "nobody@example.com"), 401, "unauthorized") == wrong  # same answer
    for _ in range(4):  # five failures for this email from this address
        _issue(client, driver.email, "wrong-password")
    error = assert_error(_issue(client, driver.email), 429, "rate_limited")  # even with the right password
    assert "Too many failed logins" in error["message"]


def test_suspended_user_gets_no_token_and_existing_tokens_stop_working(client, driver, bearer):
    headers = bearer(driver)
    _, _, refresh = tokens.issue_for(driver)
    driver.active = False
    db.session.commit()
    assert "suspended" in assert_error(_issue(client, driver.email), 403, "forbidden")["message"]
    assert_error(client.get("/api/me", headers=headers), 403, "forbidden")
    assert_error(client.post("/api/auth/refresh", json={"refresh_token": refresh}), 403, "forbidden")


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Basic abc", "Bearer not-a-token", "Token x"])
def test_missing_or_bad_credentials_are_401_with_a_challenge(client, header):
    headers = {"Authorization": header} if header is not None else {}
    response = client.get("/api/me", headers=headers)
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_expired_token_is_401_and_says_so(client, driver, bearer):
    headers = bearer(driver)
    db.session.query(ApiToken).update({"expires_at": utcnow() - timedelta(seconds=1)})
    db.session.commit()
    error = assert_error(client.get("/api/me", headers=headers), 401, "unauthorized")
    assert error["details"] == {"expired": True}


@pytest.mark.both_dbs
def test_refresh_rotates_the_pair(client, driver):
    first = _issue(client, driver.email).get_json()
    second = client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 201
    second = second.get_json()
    assert second["access_token"] != first["access_token"]
    assert client.get("/api/me", headers={"Authorization": f"Bearer {second['access_token']}"}).status_code == 200
    # the old pair is dead: its access token and a second use of its refresh token
    assert_error(client.get("/api/me", headers={"Authorization": f"Bearer {first['access_token']}"}), 401)
    assert_error(client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]}), 401)


def test_expired_or_unknown_refresh_token_is_401(client, driver):
    _, _, refresh = tokens.issue_for(driver)
    assert_error(client.post("/api/auth/refresh", json={"refresh_token": "cwr_nope"}), 401, "unauthorized")
    db.session.query(ApiToken).update({"refresh_expires_at": utcnow() - timedelta(seconds=1)})
    db.session.commit()
    assert_error(client.post("/api/auth/refresh", json={"refresh_token": refresh}), 401, "unauthorized")


def test_revoke_signs_that_app_out_only(client, driver, bearer):
    phone, tablet = bearer(driver), bearer(driver)
    response = client.post("/api/auth/revoke", headers=phone)
    assert response.status_code == 200 and response.get_json() == {"revoked": True}
    assert_error(client.get("/api/me", headers=phone), 401)
    assert client.get("/api/me", headers=tablet).status_code == 200
    assert_error(client.post("/api/auth/revoke", headers=phone), 401)


def test_revoke_all_ends_every_token_of_a_user(client, driver, bearer):
    headers = [bearer(driver), bearer(driver)]
    assert tokens.revoke_all(driver.id) == 2
    for h in headers:
        assert_error(client.get("/api/me", headers=h), 401)


@pytest.mark.parametrize("body, status", [
    ({}, 422), ({"email": "a@b.co"}, 422), ({"email": 5, "password": "x"}, 422),
    ({"email": "a@b.co", "password": "x", "extra": 1}, 422),
])
def test_token_request_is_validated(client, body, status):
    error = assert_error(client.post("/api/auth/token", json=body), status, "invalid_input")
    assert error["details"]["errors"]


def test_token_request_must_be_json(client, driver):
    assert_error(client.post("/api/auth/token", data="email=x", content_type="application/x-www-form-urlencoded"),
                 400, "malformed_request")
    assert_error(client.post("/api/auth/token", data="{not json", content_type="application/json"), 400,
                 "malformed_request")
