"""Every console route, visited as anonymous, driver, operator of another station, operator of the station,
and admin. Routes are enumerated from the URL map, so a new route is covered (and must be classified) the
moment it exists."""
import pytest

from webapp import create_app
from webapp.config import TestConfig

from .conftest import ROLES, client_as

# Routes only admins may use; every other console route is open to operators for their own stations.
ADMIN_ONLY = {
    "admin.station_new", "admin.station_retire", "admin.station_reinstate",
    "admin.tariffs", "admin.tariff_new", "admin.tariff_edit", "admin.tariff_retire",
    "admin.users", "admin.user_detail", "admin.user_role", "admin.user_stations", "admin.user_suspend",
    "admin.user_reactivate", "admin.user_waive", "admin.export_users",
    "admin.audit", "admin.audit_entry", "admin.health",
}


def _console_rules():
    app = create_app(TestConfig)
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("admin.")]
    return sorted(rules, key=lambda r: r.endpoint)


RULES = _console_rules()


def test_every_admin_only_endpoint_exists():
    """The classification above names real endpoints (a renamed route must be re-classified)."""
    assert ADMIN_ONLY <= {r.endpoint for r in RULES}
    assert len(RULES) >= 45


def _params(rule, w) -> dict:
    """Fill the rule's URL parameters from the operator's own station's rows."""
    values = {"station_id": w.station.id, "charger_id": w.charger.id, "connector_id": w.connector.id,
              "booking_id": w.booking.id, "session_id": w.session.id, "payment_id": w.capture.id,
              "window_id": w.window.id, "tariff_id": w.station.tariff_id, "user_id": w.driver.id,
              "entry_id": w.entry.id}
    missing = set(rule.arguments) - set(values)
    assert not missing, f"{rule.endpoint}: no factory row for {missing}"
    return {name: values[name] for name in rule.arguments}


def _visit(client, rule, url):
    if "GET" in rule.methods:
        return client.get(url)
    return client.post(url, data={})


def _expected(role: str, rule) -> str:
    """What `role` must get from `rule` (a description checked by _check)."""
    if role == "anonymous":
        return "login"
    if role == "driver" or (rule.endpoint in ADMIN_ONLY and role != "admin"):
        return "403"
    if role == "other_operator" and rule.arguments:
        return "403/404"
    if "GET" in rule.methods:
        return "200-own-data" if role == "other_operator" else "200"
    return "allowed"


def _check(expected: str, response) -> bool:
    status, body = response.status_code, response.get_data(as_text=True)
    return {
        "login": status == 302 and "/login" in response.headers.get("Location", ""),
        "403": status == 403,
        "403/404": status in (403, 404),
        "200": status == 200,
        "200-own-data": status == 200 and "OWN-1" not in body and "Own Station" not in body,
        "allowed": status < 500 and status not in (401, 403, 404, 405),
    }[expected]


@pytest.mark.parametrize("role", ROLES)
def test_every_console_route_for_each_role(app, world, role):
    """Anonymous -> login; driver -> 403; the other station's operator -> 403/404 on the station's rows (and
    lists show only their own); the station's operator -> allowed unless admin-only; admin -> allowed.
    GET routes are fetched; POST-only routes get an empty form (it must be refused or handled, never crash)."""
    from flask import url_for

    client = client_as(app, world.users[role])
    wrong = []
    for rule in RULES:
        with app.test_request_context():
            url = url_for(rule.endpoint, **_params(rule, world))
        response = _visit(client, rule, url)
        expected = _expected(role, rule)
        if not _check(expected, response):
            wrong.append(f"{rule.endpoint} {url}: expected {expected}, got {response.status_code}")
    assert not wrong, f"{role}:\n" + "\n".join(wrong)
