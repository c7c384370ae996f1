"""/api/openapi.json is generated from the code (spectree, pydantic models): every route is in it, the same
models validate the requests, and /api/docs renders it without any CDN."""
import re

import pytest

from jsonschema import Draft202012Validator
from schemathesis.specs.openapi.definitions import OPENAPI_31

from .conftest import assert_error

SKIPPED_ENDPOINTS = {"api.not_routed", "device.not_routed", "api.docs"}  # catch-alls; the HTML docs page


def _document(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def _schemas(node):
    """Every JSON Schema embedded in the document (parameters, bodies, responses)."""
    if isinstance(node, dict):
        if "schema" in node and isinstance(node["schema"], dict):
            yield node["schema"]
        for value in node.values():
            yield from _schemas(value)
    elif isinstance(node, list):
        for value in node:
            yield from _schemas(value)


def test_document_is_valid_openapi_31_with_valid_schemas(client):
    document = _document(client)
    assert document["openapi"] == "3.1.0"
    errors = list(Draft202012Validator(OPENAPI_31).iter_errors(document))
    assert not errors, [e.message for e in errors[:5]]
    schemas = list(_schemas(document["paths"]))
    assert len(schemas) > 100
    for schema in schemas:
        Draft202012Validator.check_schema(schema)


def test_every_api_route_is_documented_with_its_methods(app, client):
    documented = {(path, method.upper()) for path, ops in _document(client)["paths"].items() for method in ops}
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/api", "/device")) and rule.endpoint not in SKIPPED_ENDPOINTS:
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
            routed |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert routed == documented
    assert ("/device/heartbeat", "POST") in documented and ("/api/payments/process", "POST") in documented


def test_every_operation_documents_its_errors_in_the_one_shape(client):
    document = _document(client)
    error_schema = document["components"]["schemas"]["Error"]
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            for status, response in op["responses"].items():
                if int(status) >= 400:
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert document["components"]["schemas"][ref.rsplit("/", 1)[-1]] == error_schema, (path, status)
            if op["security"]:
                assert {"401", "403"} <= set(op["responses"]), (method, path)
            if "requestBody" in op:
                assert {"400", "422"} <= set(op["responses"]), (method, path)


def test_idempotency_key_is_a_documented_required_header(client):
    op = _document(client)["paths"]["/api/payments/process"]["post"]
    [header] = [p for p in op["parameters"] if p["in"] == "header"]
    assert header["name"] == "Idempotency-Key" and header["required"] is True


def test_the_model_is_both_the_document_and_the_validation(app, client):
    """The request body in the document is the view's pydantic model, and that model refuses the request."""
    from webapp.api.auth import TokenRequest

    document = _document(client)
    body = document["paths"]["/api/auth/token"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/TokenRequest"}
    documented = document["components"]["schemas"]["TokenRequest"]
    assert documented["required"] == list(TokenRequest.model_json_schema()["required"]) == ["email", "password"]
    error = assert_error(client.post("/api/auth/token", json={"email": "a@b.co"}), 422, "invalid_input")
    assert error["details"]["errors"] == [{"field": "password", "message": "Field required"}]
    error = assert_error(client.post("/api/auth/token", json={"email": "a@b.co", "password": "x", "otp": 1}), 422)
    assert error["details"]["errors"][0]["field"] == "otp" and documented["additionalProperties"] is False


def test_docs_page_renders_every_operation_without_a_cdn(client):
    response = client.get("/api/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    for path in _document(client)["paths"]:
        assert f'<span class="api-path">{path}</span>' in html, path
    external = re.findall(r'(?:src|href)="(https?:)?//[^"]*"', html)
    assert external == [], external
    assert "Idempotency-Key" in html and "bearerAuth" in html


def test_index_points_to_the_documents(client):
    assert client.get("/api/").get_json() == {"openapi": "/api/openapi.json", "docs": "/api/docs"}


def test_responses_are_validated_against_their_model_in_tests(client, driver, bearer, monkeypatch):
    """API_VALIDATE_RESPONSES is on under test: a body off its model fails loudly instead of reaching a client."""
    from webapp.api import auth
    from webapp.api.contract import ContractBroken

    monkeypatch.setattr(auth, "user_json", lambda user: {"id": str(user.id)})
    with pytest.raises(ContractBroken, match="id"):
        client.get("/api/me", headers=bearer(driver))


class TestResponseValidationOff:
    @pytest.fixture
    def app_overrides(self):
        return {"API_VALIDATE_RESPONSES": False}

    def test_off_means_the_body_goes_out_unchecked(self, client, driver, bearer, monkeypatch):
        from webapp.api import auth

        monkeypatch.setattr(auth, "user_json", lambda user: {"id": str(user.id)})
        response = client.get("/api/me", headers=bearer(driver))
        assert response.status_code == 200 and response.get_json() == {"id": str(driver.id)}
