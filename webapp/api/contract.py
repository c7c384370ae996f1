"""Declare an endpoint's contract next to its view, on spectree (pydantic v2 models): the same declaration
validates the request (and, with `API_VALIDATE_RESPONSES`, the response) and builds /api/openapi.json.

    @bp.post("/bookings")
    @endpoint("Place a hold", tags=["Bookings"], body=HoldRequest, responses={201: ("Held", Booking)},
              errors=(404, 409))
    def create_booking(body): ...

The view receives `body` (the validated model), `query` (typed query parameters) and `headers` when
declared, and the signed-in user as `g.api_user` (Bearer) or the charger as `g.api_charger` (HTTP Basic).
What spectree leaves to us: authentication before validation (401 comes before 422), refusing bodies that
are not a JSON object (spectree reads those as `{}`), the id range of path arguments, and mapping its
validation errors to our error body.
"""
import math
from functools import wraps

from flask import current_app, g, request
from pydantic import ValidationError
from spectree import Response, SecurityScheme, SpecTree
from spectree.models import SecuritySchemeData

from ..services.accounts import tokens
from ..services.errors import DomainError, InvalidInput, NotFound, Unauthorized
from ..services.fleet import devices
from .resources import MAX_ID, Error

ERROR_TEXT = {
    400: "Malformed request (bad JSON, missing header, a NUL byte anywhere, a number out of range)",
    401: "Missing, expired or revoked credentials",
    402: "Payment declined or failed",
    403: "Forbidden (suspended account, station closed, not yours)",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict with the current state",
    422: "Invalid input",
    429: "Too many attempts",
    502: "The charger did not accept the command or is not connected",
}
SECURITY = {"bearer": {"bearerAuth": []}, "basic": {"deviceBasic": []}, None: {}}


class MalformedRequest(DomainError):
    status, code = 400, "malformed_request"


class MissingHeader(DomainError):
    status, code = 400, "missing_header"


class ContractBroken(AssertionError):
    """A response that the OpenAPI document does not allow: a bug in the API, never the client's fault."""


def _validate_responses() -> bool:
    return current_app.config.get("API_VALIDATE_RESPONSES", current_app.testing)


class Contract(Response):
    """spectree's responses, validated only while `API_VALIDATE_RESPONSES` is on (tests, staging)."""

    def find_model(self, code: int):
        return super().find_model(code) if _validate_responses() else None

    def statuses(self) -> set[int]:
        return {int(code.removeprefix("HTTP_")) for code in (*self.codes, *self._raw_code_models)}


def invalid_input(err: ValidationError, where: str) -> InvalidInput:
    """pydantic's errors in our body: the first one in the message, up to ten in details.errors."""
    problems = [{"field": ".".join(str(p) for p in e["loc"]) or where, "message": e["msg"]}
                for e in err.errors(include_context=False)[:10]]
    first = problems[0]
    return InvalidInput(f"{first['field']}: {first['message']}", {"errors": problems})


def _request_refused(req, resp, err, instance, model_adapter) -> None:
    """spectree's `before` hook: a request validation error becomes our 400 (headers) or 422."""
    if err is None:
        return
    spec = current_app.view_functions[request.endpoint].api_spec
    if spec.headers is not None and err.title == spec.headers.__name__:
        problem = err.errors(include_context=False)[0]
        name = str(problem["loc"][0]) if problem["loc"] else "header"
        if problem["type"] == "missing" or problem.get("input") == "":
            raise MissingHeader(f"The {name} header is required.", {"header": name})
        raise MalformedRequest(f"The {name} header is not valid: {problem['msg']}.", {"header": name})
    raise invalid_input(err, "query" if spec.query is not None and err.title == spec.query.__name__ else "body")


def _response_checked(req, resp, err, instance, model_adapter) -> None:
    """spectree's `after` hook: with validation on, an undeclared status or a body off its model is a bug."""
    if not _validate_responses():
        return
    spec = current_app.view_functions[request.endpoint].api_spec
    if err is not None:
        first = err.errors(include_context=False)[0]
        raise ContractBroken(f"{request.method} {request.path} {resp.status_code}: "
                             f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}")
    spec.check_status(resp.status_code)


spec = SpecTree("flask", mode="strict", title="Chargeway API", version="1.0.0", openapi_version="3.1.0",
                description="The JSON API of Chargeway for mobile apps and simple chargers. Money is in integer "
                            "minor units, times are ISO 8601 with an offset, every error is "
                            '`{"error": {"code", "message", "details"}}`.',
                security_schemes=[
                    SecurityScheme(name="bearerAuth", data=SecuritySchemeData(
                        type="http", scheme="bearer", description="POST /api/auth/token with email and password")),
                    SecurityScheme(name="deviceBasic", data=SecuritySchemeData(
                        type="http", scheme="basic", description="the charge point id and its password")),
                ],
                naming_strategy=lambda model: model.__name__, nested_naming_strategy=lambda _, key: key,
                validation_error_model=Error, annotations=False, before=_request_refused, after=_response_checked)


class Spec:
    """What the wrapper needs at request time: who may call, which models, which statuses."""

    def __init__(self, auth, body, query, headers, contract: Contract):
        self.auth, self.body, self.query, self.headers, self.contract = auth, body, query, headers, contract

    def statuses(self) -> set[int]:
        return self.contract.statuses()

    def check_status(self, status: int) -> None:
        if status not in self.statuses():
            raise ContractBroken(f"{request.method} {request.path} answered {status}, which is not declared "
                                 f"({sorted(self.statuses())})")


def _contract(responses: dict, errors, auth, has_input: bool) -> Contract:
    codes = set(errors) | {400}  # a NUL byte anywhere is refused before any endpoint runs (webapp/params.py)
    if auth:
        codes |= {401, 403}  # no or bad credentials; a suspended account or retired device
    if has_input:
        codes.add(422)
    models = {f"HTTP_{code}": (model, text) for code, (text, model) in responses.items()}
    models |= {f"HTTP_{code}": (Error, ERROR_TEXT.get(code, "Error")) for code in sorted(codes)}
    return Contract(**models)


def endpoint(summary: str, *, tags=(), auth: str | None = "bearer", body=None, query=None, headers=None,
             responses: dict, errors=(), description: str = ""):
    """Register the contract of a view (spectree's `validate`) and enforce it on every request."""

    def decorate(view):
        contract = _contract(responses, errors, auth, body is not None or query is not None)
        declared = Spec(auth, body, query, headers, contract)

        def validated(**kwargs):
            context = getattr(request, "context", None)
            if body is not None:
                kwargs["body"] = context.json if context and context.json is not None else _empty_body(body)
            if query is not None:
                kwargs["query"] = context.query
            return view(**kwargs)

        validated.__name__, validated.__doc__ = view.__name__, f"{summary}\n\n{description}" if description else summary
        checked = spec.validate(json=body, query=query, headers=headers, resp=contract, tags=list(tags),
                                security=SECURITY[auth], operation_id=view.__name__)(validated)

        @wraps(checked)  # spectree finds its declaration through __wrapped__
        def wrapped(**kwargs):
            if auth == "bearer":
                authenticate()
            elif auth == "basic":
                authenticate_device()
            for name, value in kwargs.items():
                if isinstance(value, int) and not 1 <= value <= MAX_ID:  # ids are positive 32-bit integers
                    raise NotFound(f"No such {name.removesuffix('_id')}.")
            if body is not None:
                _require_json_object()
            return checked(**kwargs)

        wrapped.api_spec = declared
        return wrapped

    return decorate


def _empty_body(model):
    """spectree skips a body sent as a form (or none at all with a form type): validate it as `{}`."""
    try:
        return model.model_validate({})
    except ValidationError as err:
        raise invalid_input(err, "body") from None


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


def _finite(value) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    return True


def _require_json_object() -> None:
    """400 for a body that is not JSON; 422 for JSON that is not an object (spectree would read `{}`)."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return
    if not request.is_json:
        raise MalformedRequest("Send a JSON body with Content-Type: application/json.")
    data = request.get_json(silent=True)
    if data is None and raw.strip() != b"null":
        raise MalformedRequest("The body is not valid JSON.")
    if not _finite(data):
        raise MalformedRequest("Numbers must be finite (no NaN or Infinity).")
    if not isinstance(data, dict):
        raise InvalidInput("body: Input should be an object", {"errors": [
            {"field": "body", "message": "Input should be an object"}]})
