"""Error pages people can act on: styled, in the right layout, with a way back; the API stays JSON."""
import pytest
from flask import abort

from tests.driver.pages import text


@pytest.fixture
def app_overrides():
    return {"PROPAGATE_EXCEPTIONS": False}


@pytest.fixture
def crashing(app):
    """Routes that fail on purpose: a crash and a view's own 400/403."""
    def crash():
        raise RuntimeError("boom")

    app.add_url_rule("/test-crash", "test_crash", crash)
    app.add_url_rule("/admin/test-crash", "test_admin_crash", crash)
    app.add_url_rule("/test-bad", "test_bad", lambda: abort(400))
    app.add_url_rule("/test-forbidden", "test_forbidden", lambda: abort(403, "Only the booking's driver may do this."))
    return app


def test_unknown_driver_page_is_a_styled_404_with_a_way_home(client, driver):
    response = client.get("/no-such-page", headers={"Referer": "http://localhost/history"})
    assert response.status_code == 404 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "We could not find that page" in text(page) and 'data-error-code="404"' in page
    assert 'href="/">Find a charger</a>' in page and 'href="http://localhost/history">Go back</a>' in page
    assert "driver.css" in page and "console-nav" not in page  # the driver's layout
    assert "Not Found" not in page  # not werkzeug's default


def test_another_drivers_booking_is_the_styled_404(client, driver, factory, charger):
    from webapp.services.booking import bookings

    other = factory.user(email="other@example.com")
    booking = bookings.place_hold(other, charger.connectors[0].id)
    response = client.get(f"/bookings/{booking.id}")
    assert response.status_code == 404 and "We could not find that page" in text(response.get_data(as_text=True))


def test_console_404_uses_the_console_layout(client, factory, login):
    login(factory.user(role="operator", email="op@example.com"))
    response = client.get("/admin/stations/999999")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "console-nav" in page and "We could not find that page" in text(page)
    assert 'href="/admin/">Console home</a>' in page


def test_driver_on_the_console_gets_a_styled_403_in_the_driver_layout(client, driver):
    response = client.get("/admin/")
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "This page is not for your account" in text(page) and "console-nav" not in page


def test_a_crash_is_a_styled_500_in_each_layout(client, crashing, factory, login):
    response = client.get("/test-crash")
    assert response.status_code == 500
    assert "Something went wrong on our side" in text(response.get_data(as_text=True))
    login(factory.user(role="admin", email="admin@example.com"))
    page = client.get("/admin/test-crash")
    assert page.status_code == 500 and "console-nav" in page.get_data(as_text=True)


def test_400_and_a_views_own_403_reason(client, crashing, driver):
    bad = client.get("/test-bad")
    assert bad.status_code == 400 and "That request did not make sense" in text(bad.get_data(as_text=True))
    forbidden = client.get("/test-forbidden").get_data(as_text=True)
    assert "Only the booking's driver may do this." in text(forbidden)


def test_api_and_json_clients_still_get_json(client, driver):
    api = client.get("/api/no-such-thing")
    assert api.status_code == 404 and api.is_json and "error" in api.get_json()
    json_client = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert json_client.status_code == 404 and json_client.get_json()["error"]["code"] == "not_found"


def test_error_pages_have_no_inline_script_or_style(client, driver):
    page = client.get("/no-such-page").get_data(as_text=True)
    assert "<script>" not in page and "style=" not in page
