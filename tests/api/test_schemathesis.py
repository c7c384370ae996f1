"""Schemathesis against /api/openapi.json, in process: no 5xx, and every response (status, content type, body)
conforms to the document. Examples are bounded so the whole run stays short."""
import base64

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, negative_data_rejection,
                                               response_headers_conformance, response_schema_conformance,
                                               status_code_conformance)

from webapp.api.openapi import build
from webapp.services.accounts import tokens

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, negative_data_rejection]


@pytest.fixture
def api_world(app, factory):
    """What the document's examples name: station 1, charger CP-1, the demo driver, booking 1 (held)."""
    from webapp.services.booking import bookings

    charger = factory.charger(cp_id="CP-1", password="cp-1-secret")
    driver = factory.user(email="driver@chargeway.demo", password="drive-demo-123", battery_kwh=50.0)
    bookings.place_hold(driver, charger.connectors[0].id)
    return driver


@pytest.fixture
def api_schema(app, api_world):
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


@pytest.fixture
def credentials(api_world):
    """Headers for an operation: a new token for every example (a generated /api/auth/revoke must not starve
    the others), the charger's password for device operations, nothing for public ones."""

    def make(operation):
        security = operation.definition.raw.get("security") or [{}]
        if "bearerAuth" in security[0]:
            _, access, _ = tokens.issue_for(api_world)
            return {"Authorization": f"Bearer {access}"}
        if "deviceBasic" in security[0]:
            return {"Authorization": "Basic " + base64.b64encode(b"CP-1:cp-1-secret").decode()}
        return {}

    return make


def _exercise(operation, mode, credentials, max_examples: int) -> None:
    """Run one operation's generated cases through every check; raises the first (shrunk) failure."""

    @settings(max_examples=max_examples, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        case.call_and_validate(headers=credentials(operation), checks=CHECKS)

    run()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
def test_api_conforms_to_its_document(app, api_schema, credentials, mode):
    """Positive (one test) and negative (the other, on a fresh database) examples for every operation; all
    failures are reported together."""
    failures, exercised = [], []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        try:
            _exercise(operation, mode, credentials, max_examples=10)
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE  # nothing to get wrong: no parameters, no body
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - report every operation, then fail
            failures.append(f"{operation.label} [{mode.value}]: {exc}")
        exercised.append(operation.label)
    documented = {f"{m.upper()} {path}" for path, methods in build(app)["paths"].items() for m in methods}
    assert set(exercised) == documented - {"GET /api/openapi.json"}  # schemathesis skips the document itself
    assert not failures, "\n\n".join(failures)


class TestTheHarnessCanFail:
    @pytest.fixture
    def app_overrides(self):
        return {"API_VALIDATE_RESPONSES": False}  # let the broken body reach schemathesis' own checks

    def test_a_response_that_breaks_the_document_is_caught(self, api_schema, credentials, monkeypatch):
        from webapp.api import auth

        monkeypatch.setattr(auth, "user_json", lambda user: {"id": str(user.id)})
        operation = api_schema["/api/me"]["GET"]
        with pytest.raises(BaseExceptionGroup) as caught:
            _exercise(operation, GenerationMode.POSITIVE, credentials, max_examples=1)
        assert "Response violates schema" in str(caught.value)
