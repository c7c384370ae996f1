"""Every error under /api and /device is JSON in one shape; never an HTML page. CSRF does not apply."""
import pytest

from webapp.services.fleet import station_status

from .conftest import assert_error


@pytest.mark.parametrize("method, path", [
    ("GET", "/api/nope"), ("POST", "/api/nope/deeper"), ("GET", "/api/stations/0"),
    ("GET", "/api/stations/99999999999999999999"), ("GET", "/api/stations/abc"), ("DELETE", "/api/x"),
    ("GET", "/device/nope"), ("GET", "/api/stations/1/nope"),
    ("GET", "/device/"),  # matches no rule at all: the app-level handler answers, keyed on the path
])
def test_unknown_paths_are_json_404(client, method, path):
    assert_error(client.open(path, method=method), 404, "not_found")


@pytest.mark.parametrize("path", ["/api/bookings/0", "/api/bookings/2147483648", "/api/bookings/99999999999999999999",
                                  "/api/bookings/1/receipt"])
def test_out_of_range_or_unknown_ids_are_404_after_authentication(client, driver, bearer, path):
    assert_error(client.get(path), 401)
    assert_error(client.get(path, headers=bearer(driver)), 404, "not_found")


@pytest.mark.parametrize("method, path, allowed", [
    ("PATCH", "/api/bookings", "POST"), ("GET", "/api/auth/token", "POST"), ("POST", "/api/stations", "GET"),
    ("PUT", "/api/bookings/1", "DELETE, GET"), ("GET", "/device/heartbeat", "POST"),
])
def test_wrong_method_is_json_405_with_allow(client, method, path, allowed):
    response = client.open(path, method=method)
    assert_error(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == allowed


@pytest.fixture
def app_overrides():
    return {"PROPAGATE_EXCEPTIONS": False}


def test_a_crash_is_a_json_500_without_details(client, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("database exploded: secret detail")

    monkeypatch.setattr(station_status, "search", boom)
    response = client.get("/api/stations")
    error = assert_error(response, 500, "server_error")
    assert "secret" not in response.get_data(as_text=True) and error["details"] == {}


def test_non_api_pages_keep_their_html_errors(client):
    response = client.get("/definitely-not-a-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_non_finite_numbers_are_rejected(client, driver, bearer):
    response = client.put("/api/charging/sessions/active/update", headers=bearer(driver),
                          data='{"batteryLevel": NaN}', content_type="application/json")
    assert_error(response, 400, "malformed_request")


def test_validation_errors_name_the_fields(client, driver, bearer):
    response = client.post("/api/charging/sessions/start", headers=bearer(driver),
                           json={"batteryLevelStart": 140, "stationId": "x"})
    error = assert_error(response, 422, "invalid_input")
    fields = {e["field"] for e in error["details"]["errors"]}
    assert fields == {"batteryLevelStart", "stationId"}


def test_query_parameters_are_typed_and_validated(client):
    assert_error(client.get("/api/stations?lat=abc&lon=1"), 422, "invalid_input")
    assert_error(client.get("/api/stations?lat=nan&lon=1"), 422, "invalid_input")
    assert_error(client.get("/api/stations?limit=0"), 422, "invalid_input")
    assert_error(client.get("/api/stations?open_now=maybe"), 422, "invalid_input")
    assert client.get("/api/stations?open_now=true&limit=5").status_code == 200


class TestCsrf:
    @pytest.fixture
    def app_overrides(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_api_and_device_posts_need_no_csrf_token(self, client, driver, charger):
        assert client.post("/api/auth/token", json={"email": driver.email, "password": "charge-test-pass"}
                           ).status_code == 201
        # no credentials: refused by Basic auth (401), not by CSRF (400)
        assert_error(client.post("/device/heartbeat", json={}), 401, "unauthorized")

    def test_pages_still_need_it(self, client, driver):
        response = client.post("/login", data={"email": driver.email, "password": "charge-test-pass"})
        assert response.status_code == 400
