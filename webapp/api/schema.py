"""Declare an endpoint's contract next to its view; the same declaration validates requests (and, in tests,
responses) and builds /api/openapi.json, so the document and the behaviour cannot drift apart.

    @bp.post("/bookings")
    @endpoint("Place a hold", tags=["Bookings"], body=HOLD_REQUEST, responses={201: ("Held", BOOKING)},
              errors=(403, 404, 409))
    def create_booking(body): ...

The view receives `body` (the validated JSON object) and `query` (typed query parameters) when declared,
and the signed-in user as `g.api_user` (Bearer) or the charger as `g.api_charger` (HTTP Basic).
"""
import math
from dataclasses import dataclass, field
from functools import wraps

from flask import current_app, g, make_response, request
from jsonschema import Draft202012Validator

from ..services.accounts import tokens
from ..services.fleet import devices
from ..services.errors import DomainError, InvalidInput, NotFound, Unauthorized

MAX_ID = 2**31 - 1


# -- reusable schema fragments ---------------------------------------------------------------------------
def nullable(schema: dict) -> dict:
    """The schema, or null (JSON Schema 2020-12 / OpenAPI 3.1 spelling)."""
    return {"anyOf": [schema, {"type": "null"}]}


def obj(properties: dict, required: tuple | list = (), additional: bool = False, **extra) -> dict:
    """An object schema; every listed property is required unless named otherwise in `optional`."""
    return {"type": "object", "properties": properties, "required": list(required),
            "additionalProperties": additional, **extra}


ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID, "examples": [1]}
DATETIME = {"type": "string", "format": "date-time", "description": "ISO 8601 with offset"}
MONEY = {"type": "integer", "description": "integer minor units of `currency` (paise, cents)"}
CURRENCY = {"type": "string", "minLength": 3, "maxLength": 3}
PERCENT = {"type": "number", "minimum": 0, "maximum": 100}
CP_ID = {"type": "string", "minLength": 1, "maxLength": 48, "pattern": r"^[A-Za-z0-9._\-]+$",
         "description": "the charge point id (as in ws://HOST/ocpp/<id>)", "examples": ["CP-1"]}
CONNECTOR_NUMBER = {"type": "integer", "minimum": 1, "maximum": 99, "description": "OCPP connector number"}
ERROR = obj({"error": obj({
    "code": {"type": "string"},
    "message": {"type": "string"},
    "details": {"type": "object"},
}, required=("code", "message", "details"))}, required=("error",))

ERROR_TEXT = {
    400: "Malformed request (bad JSON, missing header, a NUL byte anywhere, a number out of range)",
    401: "Missing, expired or revoked credentials",
    402: "Payment declined or failed",
    403: "Forbidden (suspended account, station closed, not yours)",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict with the current state",
    422: "Invalid input",
    502: "The charger did not accept the command or is not connected",
}


# -- errors raised while parsing ---------------------------------------------------------------------------
class MalformedRequest(DomainError):
    status, code = 400, "malformed_request"


class MissingHeader(DomainError):
    status, code = 400, "missing_header"


# -- the declaration -------------------------------------------------------------------------------------
@dataclass
class Spec:
    summary: str
    tags: list
    auth: str | None  # "bearer", "basic" (devices) or None
    body: dict | None
    query: dict | None
    headers: dict
    responses: dict  # status -> (description, schema)
    errors: tuple
    description: str = ""
    validators: dict = field(default_factory=dict)

    def statuses(self) -> dict[int, tuple[str, dict]]:
        """Every status this endpoint may answer, with its description and body schema."""
        out = dict(self.responses)
        codes = set(self.errors)
        codes.add(400)  # a NUL byte anywhere is refused before any endpoint runs (webapp/params.py)
        if self.auth:
            codes.update((401, 403))  # no or bad credentials; a suspended account or retired device
        if self.body is not None or self.query is not None:
            codes.add(422)
        for code in sorted(codes):
            out.setdefault(code, (ERROR_TEXT.get(code, "Error"), ERROR))
        return out

    def validator(self, key, schema: dict) -> Draft202012Validator:
        if key not in self.validators:
            self.validators[key] = Draft202012Validator(schema)
        return self.validators[key]


def endpoint(summary: str, *, tags=(), auth: str | None = "bearer", body: dict | None = None,
             query: dict | None = None, headers: dict | None = None, responses: dict, errors=(),
             description: str = ""):
    """Register the contract of a view and enforce it on every request."""

    def decorate(view):
        spec = Spec(summary, list(tags), auth, body, query, headers or {}, responses, tuple(errors), description)

        @wraps(view)
        def wrapped(**kwargs):
            if spec.auth == "bearer":
                authenticate()
            elif spec.auth == "basic":
                authenticate_device()
            for name, value in kwargs.items():
                if isinstance(value, int) and not 1 <= value <= MAX_ID:  # ids are positive 32-bit integers
                    raise NotFound(f"No such {name.removesuffix('_id')}.")
            for name, header in spec.headers.items():
                _check_header(spec, name, header)
            if spec.query is not None:
                kwargs["query"] = parse_query(spec)
            if spec.body is not None:
                kwargs["body"] = parse_body(spec)
            response = make_response(view(**kwargs))
            if current_app.config.get("API_VALIDATE_RESPONSES", current_app.testing):
                check_response(spec, response)
            return response

        wrapped.api_spec = spec
        return wrapped

    return decorate


# -- request side ----------------------------------------------------------------------------------------
def authenticate() -> None:
    """Bearer token -> g.api_user and g.api_token, or 401/403."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Send an access token: Authorization: Bearer <token>.")
    g.api_user, g.api_token = tokens.verify(token.strip())
    tokens.touch(g.api_token)


def authenticate_device() -> None:
    """HTTP Basic with a charge point id and its password -> g.api_charger, or 401/403."""
    credentials = request.authorization
    g.api_charger = devices.authenticate(credentials.username if credentials else None,
                                         credentials.password if credentials else None)


def _check_header(spec: Spec, name: str, header: dict) -> None:
    value = request.headers.get(name)
    if value is None or value == "":
        if header.get("required"):
            raise MissingHeader(f"The {name} header is required.", {"header": name})
        return
    errors = list(spec.validator(("header", name), header["schema"]).iter_errors(value))
    if errors:
        raise MalformedRequest(f"The {name} header is not valid: {errors[0].message}.", {"header": name})


def _coerce(raw: str, schema: dict):
    kind = schema.get("type")
    try:
        if kind == "integer" and raw.strip().lstrip("-").isdigit():
            return int(raw)
        if kind == "number":
            value = float(raw)
            return value if math.isfinite(value) else raw
    except ValueError:
        return raw
    if kind == "boolean" and raw.lower() in ("true", "1", "false", "0"):
        return raw.lower() in ("true", "1")
    return raw


def parse_query(spec: Spec) -> dict:
    """Typed query parameters, validated; defaults filled in."""
    values = {}
    for name, prop in spec.query["properties"].items():
        if name in request.args:
            values[name] = _coerce(request.args[name], prop)
    _validate(spec.validator("query", {**spec.query, "additionalProperties": True}), values, "query")
    for name, prop in spec.query["properties"].items():
        if name not in values and "default" in prop:
            values[name] = prop["default"]
    return values


def _finite(value) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    return True


def parse_body(spec: Spec) -> dict:
    """The JSON body, validated against the declared schema (400 if unreadable, 422 if invalid)."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        data = {}
    elif not request.is_json:
        raise MalformedRequest("Send a JSON body with Content-Type: application/json.")
    else:
        data = request.get_json(silent=True)
        if data is None:
            raise MalformedRequest("The body is not valid JSON.")
        if not _finite(data):
            raise MalformedRequest("Numbers must be finite (no NaN or Infinity).")
    _validate(spec.validator("body", spec.body), data, "body")
    return data


def _validate(validator: Draft202012Validator, value, where: str) -> None:
    errors = sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))
    if not errors:
        return
    problems = [{"field": ".".join(str(p) for p in e.absolute_path) or where, "message": e.message}
                for e in errors[:10]]
    first = problems[0]
    raise InvalidInput(f"{first['field']}: {first['message']}", {"errors": problems})


# -- response side (tests and staging) -------------------------------------------------------------------
class ContractBroken(AssertionError):
    """A response that the OpenAPI document does not allow: a bug in the API, never the client's fault."""


def check_response(spec: Spec, response) -> None:
    """Fail loudly when a response's status or body is not what the document declares."""
    statuses = spec.statuses()
    if response.status_code not in statuses:
        raise ContractBroken(f"{request.method} {request.path} answered {response.status_code}, "
                             f"which is not declared ({sorted(statuses)})")
    schema = statuses[response.status_code][1]
    if schema is None:
        return
    body = response.get_json(silent=True)
    errors = list(spec.validator(("response", response.status_code), schema).iter_errors(body))
    if errors:
        raise ContractBroken(f"{request.method} {request.path} {response.status_code}: "
                             f"{errors[0].json_path}: {errors[0].message}")
