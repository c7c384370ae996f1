"""Access rules for every documented operation, driven by the document itself: Bearer operations refuse
anonymous callers (401) and suspended accounts (403), device operations need the charger's password, public
operations need nothing. A new endpoint is covered the moment it is declared."""
import base64
import re

import pytest

from webapp.extensions import db

from .conftest import assert_error


def _operations(client):
    document = client.get("/api/openapi.json").get_json()
    for path, methods in document["paths"].items():
        for method, op in methods.items():
            scheme = next(iter(op["security"][0]), None) if op["security"] else None
            yield method.upper(), re.sub(r"\{[^}]+\}", "1", path), scheme


def _call(client, method, path, headers=None):
    body = {} if method in ("POST", "PUT") else None
    return client.open(path, method=method, headers=headers or {}, json=body)


def test_every_bearer_operation_refuses_anonymous_and_bad_tokens(client):
    checked = 0
    for method, path, scheme in _operations(client):
        if scheme != "bearerAuth":
            continue
        for headers in ({}, {"Authorization": "Bearer cwa_forged"}):
            assert_error(_call(client, method, path, headers), 401, "unauthorized")
        checked += 1
    assert checked >= 20


def test_every_bearer_operation_refuses_a_suspended_account(client, driver, bearer):
    headers = bearer(driver)
    driver.active = False
    db.session.commit()
    for method, path, scheme in _operations(client):
        if scheme == "bearerAuth":
            error = assert_error(_call(client, method, path, headers), 403, "forbidden")
            assert "suspended" in error["message"], (method, path)


def test_device_operations_need_the_chargers_password(client, factory):
    factory.charger(cp_id="DEV-9", password="right")
    wrong = {"Authorization": "Basic " + base64.b64encode(b"DEV-9:wrong").decode()}
    right = {"Authorization": "Basic " + base64.b64encode(b"DEV-9:right").decode()}
    device_ops = [(m, p) for m, p, scheme in _operations(client) if scheme == "deviceBasic"]
    assert device_ops == [("POST", "/device/heartbeat")]
    for method, path in device_ops:
        assert_error(_call(client, method, path), 401)
        assert_error(_call(client, method, path, wrong), 401)
        assert _call(client, method, path, right).status_code == 200


@pytest.mark.parametrize("path", ["/api/", "/api/openapi.json", "/api/stations", "/api/docs"])
def test_public_reads_need_no_credentials(client, factory, path):
    factory.station()
    assert client.get(path).status_code == 200


def test_public_operations_are_exactly_the_read_only_ones_and_sign_in(client):
    public = sorted((m, p) for m, p, scheme in _operations(client) if scheme is None)
    assert public == [("GET", "/api/"), ("GET", "/api/openapi.json"), ("GET", "/api/stations"),
                      ("GET", "/api/stations/1"), ("GET", "/api/stations/1/chargers/available"),
                      ("GET", "/api/stations/1/slots"), ("GET", "/api/stations/1/status"), ("POST", "/api/auth/refresh"),
                      ("POST", "/api/auth/token")]
