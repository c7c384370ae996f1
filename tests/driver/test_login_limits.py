"""Logins: failures are limited per account+address and per address (Flask-Limiter), never by a lock on the
account that anyone could trigger; ProxyFix with TRUSTED_PROXIES tells clients behind a load balancer apart;
unknown and known emails get the same answer in similar time; registration is limited per address."""
import time

import pytest
from werkzeug.security import generate_password_hash

from webapp.extensions import db


@pytest.fixture
def app_overrides(request):
    return getattr(request, "param", {})


def _login(client, email, password, address="10.1.1.1", forwarded=None):
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return client.post("/login", data={"email": email, "password": password}, headers=headers,
                       environ_base={"REMOTE_ADDR": address})


def test_failures_slow_the_attacker_but_do_not_lock_the_owner_out(client, factory, app):
    factory.user(email="owner@example.com")
    for _ in range(5):  # LOGIN_FAILURES_PER_ACCOUNT_ADDRESS: 5 per 15 minutes
        assert _login(client, "owner@example.com", "wrong-guess-1", "10.6.6.6").status_code == 401
    refused = _login(client, "owner@example.com", "charge-test-pass", "10.6.6.6")
    assert refused.status_code == 429 and "Too many failed logins" in refused.get_data(as_text=True)
    # The owner, from their own address, signs in at once: nothing is locked on the account.
    assert _login(client, "owner@example.com", "charge-test-pass", "10.2.2.2").status_code == 302


def test_no_account_lock_is_left_behind(client, factory):
    user = factory.user(email="owner@example.com")
    for n in range(12):  # from many addresses, each under its own limit
        _login(client, "owner@example.com", "wrong-guess-1", f"10.7.0.{n}")
    db.session.expire_all()
    assert user.locked_until is None
    assert _login(client, "owner@example.com", "charge-test-pass", "10.2.2.2").status_code == 302


@pytest.mark.parametrize("app_overrides", [{"LOGIN_FAILURES_PER_ADDRESS": "3 per 15 minutes"}], indirect=True)
def test_one_address_is_limited_across_accounts(client, factory):
    factory.user(email="real@example.com")
    for n in range(3):
        assert _login(client, f"guess{n}@example.com", "wrong-guess-1", "10.3.3.3").status_code == 401
    response = _login(client, "real@example.com", "charge-test-pass", "10.3.3.3")
    assert response.status_code == 429 and "Too many failed logins" in response.get_data(as_text=True)
    assert _login(client, "real@example.com", "charge-test-pass", "10.4.4.4").status_code == 302


@pytest.mark.parametrize("app_overrides", [{"LOGIN_FAILURES_PER_ADDRESS": "3 per 15 minutes",
                                            "TRUSTED_PROXIES": 1}], indirect=True)
def test_behind_a_trusted_proxy_clients_are_told_apart_by_x_forwarded_for(client, factory):
    factory.user(email="real@example.com")
    for n in range(3):
        _login(client, f"guess{n}@example.com", "wrong-guess-1", "10.9.9.9", forwarded="203.0.113.7")
    assert _login(client, "real@example.com", "charge-test-pass", "10.9.9.9",
                  forwarded="203.0.113.7").status_code == 429
    # Same load balancer address, another client behind it.
    assert _login(client, "real@example.com", "charge-test-pass", "10.9.9.9",
                  forwarded="198.51.100.2").status_code == 302


@pytest.mark.parametrize("app_overrides", [{"LOGIN_FAILURES_PER_ADDRESS": "3 per 15 minutes"}], indirect=True)
def test_without_trusted_proxies_a_forged_x_forwarded_for_does_not_escape_the_limit(client, factory):
    factory.user(email="real@example.com")
    for n in range(3):
        _login(client, f"guess{n}@example.com", "wrong-guess-1", "10.5.5.5", forwarded=f"192.0.2.{n}")
    assert _login(client, "real@example.com", "charge-test-pass", "10.5.5.5",
                  forwarded="192.0.2.99").status_code == 429


def test_the_api_shares_the_limits(client, factory):
    factory.user(email="owner@example.com")
    for _ in range(5):
        _login(client, "owner@example.com", "wrong-guess-1", "10.8.8.8")
    response = client.post("/api/auth/token", json={"email": "owner@example.com", "password": "charge-test-pass"},
                           environ_base={"REMOTE_ADDR": "10.8.8.8"})
    assert response.status_code == 429 and response.get_json()["error"]["code"] == "rate_limited"


def test_unknown_and_known_emails_get_the_same_answer_in_similar_time(client, factory, monkeypatch):
    # Real (slow) hashing here, as in production: a missing account must cost a hash check too.
    monkeypatch.setattr("webapp.models.user.generate_password_hash", generate_password_hash)
    factory.user(email="known@example.com")

    def timed(email, n):
        start = time.perf_counter()
        response = _login(client, email, "wrong-guess-1", f"10.10.0.{n}")
        return time.perf_counter() - start, response

    known = [timed("known@example.com", n) for n in range(3)]
    unknown = [timed(f"nobody{n}@example.com", 10 + n) for n in range(3)]
    bodies = {r.get_data(as_text=True) for _, r in known + unknown}
    assert {r.status_code for _, r in known + unknown} == {401}
    assert len({b.replace("nobody0@example.com", "E").replace("nobody1@example.com", "E")
                 .replace("nobody2@example.com", "E").replace("known@example.com", "E") for b in bodies}) == 1
    fast_known, fast_unknown = min(t for t, _ in known), min(t for t, _ in unknown)
    assert fast_unknown > 0.5 * fast_known, (fast_known, fast_unknown)


@pytest.mark.parametrize("app_overrides", [{"REGISTER_LIMIT": "3 per hour"}], indirect=True)
def test_registration_is_limited_per_address(client, factory):
    factory.user(email="taken@example.com")
    for n in range(3):
        client.post("/register", data={"email": "taken@example.com", "name": "T", "password": "long-enough-1"},
                    environ_base={"REMOTE_ADDR": "10.11.0.1"})
    probe = client.post("/register", data={"email": f"probe@example.com", "name": "P", "password": "long-enough-1"},
                        environ_base={"REMOTE_ADDR": "10.11.0.1"})
    assert probe.status_code == 429 and "Too many" in probe.get_data(as_text=True)
    other = client.post("/register", data={"email": "other@example.com", "name": "O", "password": "long-enough-1"},
                        environ_base={"REMOTE_ADDR": "10.11.0.2"})
    assert other.status_code == 302
