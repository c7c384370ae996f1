"""Point 7 of issue 12, the answers themselves: out-of-range numbers are 400 (ids in a path 404), NUL bytes
400, non-finite or huge amounts and quotas a message; on SQLite and PostgreSQL."""
import base64

import pytest

from tests.admin.conftest import client_as
from webapp.extensions import db
from webapp.services.accounts import tokens
from webapp.services.booking import bookings

pytestmark = pytest.mark.both_dbs
HUGE = "9" * 20


@pytest.fixture
def people(app, factory):
    admin, driver = factory.user("admin"), factory.user("driver", battery_kwh=40.0)
    charger = factory.charger(cp_id="CP-HOSTILE", password="hostile-pass-1234")
    return admin, driver, charger


def _get(client, url, **kw):
    response = client.get(url, **kw)
    db.session.rollback()
    return response


@pytest.mark.parametrize("url", [f"/admin/sessions?page={HUGE}", f"/admin/bookings?station_id={HUGE}",
                                 f"/admin/analytics?station_id={HUGE}", f"/admin/audit?user_id=-{HUGE}",
                                 f"/admin/payments?page=-{HUGE}"])
def test_admin_out_of_range_numbers_are_400(app, people, url):
    response = _get(client_as(app, people[0]), url)
    assert response.status_code == 400 and b"out of range" in response.data


def test_a_huge_number_in_a_search_is_text(app, people):
    """`q` is a search: a 20-digit number finds nothing instead of comparing ids with it."""
    assert _get(client_as(app, people[0]), f"/admin/sessions?q={HUGE}").status_code == 200


@pytest.mark.parametrize("url", [f"/admin/chargers/{HUGE}", f"/admin/users/{HUGE}", f"/bookings/{HUGE}",
                                 f"/api/bookings/{HUGE}"])
def test_huge_ids_in_a_path_are_not_found(app, people, url):
    _, driver, _ = people
    _, access, _ = tokens.issue_for(driver)
    response = _get(client_as(app, people[0] if url.startswith("/admin") else driver), url,
                    headers={"Authorization": f"Bearer {access}"})
    assert response.status_code == 404


@pytest.mark.parametrize("url", ["/charge?charger=A%00B", "/admin/sessions?q=%00", "/ocpp/A%00B",
                                 "/?place=A%00B", "/api/stations?plug=%00"])
def test_nul_bytes_are_400(app, people, url):
    response = _get(client_as(app, people[0]), url)
    assert response.status_code == 400, url


def test_nul_in_basic_username_and_login_form_is_400(app, people):
    client = client_as(app, None)
    token = base64.b64encode(b"CP-HOSTILE\x00x:hostile-pass-1234").decode()
    response = client.post("/device/heartbeat", json={}, headers={"Authorization": f"Basic {token}"})
    assert response.status_code == 400 and response.is_json
    assert client.post("/login", data={"email": "a\x00@example.com", "password": "x"}).status_code == 400
    assert client.post("/api/auth/login", json={"email": "a\u0000@example.com", "password": "x"}).status_code == 400


@pytest.mark.parametrize("form", [{"quota": "kwh", "custom_kwh": v} for v in ("inf", "nan", "1e308", HUGE)]
                         + [{"quota": "amount", "amount": v} for v in ("inf", "-inf", "nan", "1e308", HUGE)]
                         + [{"quota": v} for v in ("inf", "nan", "1e308")])
def test_driver_pay_form_refuses_hostile_quotas_and_amounts(app, people, form):
    _, driver, charger = people
    booking = bookings.place_hold(driver, charger.connectors[0].id)
    db.session.commit()
    client = client_as(app, driver)
    data = {**form, "method": "card", "details": "4242424242424242", "idempotency_key": "k-1"}
    response = client.post(f"/bookings/{booking.id}/pay", data=data, headers={"Accept": "application/json"})
    db.session.rollback()
    assert 400 <= response.status_code < 500, response.status_code
    assert response.get_json()["error"]["message"]
    form_data = {**data, "idempotency_key": "hostileformkey0002"}  # the form's own path, with a key it issues
    page = client.post(f"/bookings/{booking.id}/pay", data=form_data)
    assert page.status_code == 422 and b'class="field-error"' in page.data
    assert db.session.get(type(booking), booking.id).status == "HELD"  # nothing half-written
    quote = client.get(f"/bookings/{booking.id}/quote?" + "&".join(f"{k}={v}" for k, v in form.items()))
    assert quote.status_code < 500


@pytest.mark.parametrize("body", [{"quota_kwh": 1e308}, {"quota_kwh": 10, "amount": int(HUGE)},
                                  {"quota_kwh": 10, "amount": -int(HUGE)}, {"quota_kwh": 10, "booking_id": int(HUGE)}])
def test_api_payment_refuses_hostile_numbers(app, people, body):
    _, driver, charger = people
    booking = bookings.place_hold(driver, charger.connectors[0].id)
    db.session.commit()
    _, access, _ = tokens.issue_for(driver)
    payload = {"booking_id": booking.id, "payment_method": "card", "payment_details": "4242424242424242", **body}
    response = client_as(app, None).post("/api/payments/process", json=payload, headers={
        "Authorization": f"Bearer {access}", "Idempotency-Key": "hostile-key-0001"})
    db.session.rollback()
    assert 400 <= response.status_code < 500 and response.is_json, (response.status_code, response.get_json())
    quote = client_as(app, None).get(f"/api/bookings/{booking.id}/quote?quota_kwh=1e308",
                                     headers={"Authorization": f"Bearer {access}"})
    assert 400 <= quote.status_code < 500
