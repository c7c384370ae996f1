"""Every error under /api (and /device) is JSON: {"error": {"code", "message", "details"}}, never an HTML page."""
import logging

from flask import Flask, current_app, jsonify, request
from werkzeug.exceptions import (HTTPException, InternalServerError, MethodNotAllowed, NotFound,
                                 default_exceptions)

from ..extensions import db
from ..services.errors import DomainError
from .contract import ContractBroken

log = logging.getLogger(__name__)

JSON_PREFIXES = ("/api/", "/device/")


def error_response(status: int, code: str, message: str, details: dict | None = None, headers: dict | None = None):
    """The one error shape of the API."""
    response = jsonify({"error": {"code": code, "message": message, "details": details or {}}})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _declared(status: int) -> None:
    """In tests, an error status the endpoint's document does not list is a bug."""
    if not current_app.config.get("API_VALIDATE_RESPONSES", current_app.testing):
        return
    spec = getattr(current_app.view_functions.get(request.endpoint), "api_spec", None)
    if spec is not None and status not in spec.statuses():
        raise ContractBroken(f"{request.method} {request.path} answered {status}, which is not declared")


def handle_domain_error(exc: DomainError):
    """A named domain error becomes its status and code; nothing half-written stays in the session."""
    db.session.rollback()
    _declared(exc.status)
    headers = {"WWW-Authenticate": 'Bearer realm="chargeway"'} if exc.status == 401 else None
    return error_response(exc.status, exc.code, exc.message, exc.details, headers)


def _code(exc: HTTPException) -> str:
    return (exc.name or "error").lower().replace(" ", "_").replace("'", "")


def handle_http_error(exc: HTTPException):
    """abort(), routing and method errors as JSON, with Allow on 405."""
    db.session.rollback()
    headers = {}
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        headers["Allow"] = ", ".join(sorted(exc.valid_methods))
    status = exc.code or 500
    if status >= 500:
        log.error("API %s %s failed: %s", request.method, request.path, exc, exc_info=exc.original_exception
                  if isinstance(exc, InternalServerError) else None)
        return error_response(status, "server_error", "Something went wrong on our side. Try again shortly.")
    return error_response(status, _code(exc), exc.description or exc.name, {}, headers)


def register(bp) -> None:
    """Blueprint handlers: domain errors and HTTP errors raised by the API's own views.

    Registered per status code as well: Flask prefers any handler keyed on the code (even an app-level HTML
    page another blueprint registers) to a handler keyed on the HTTPException class.
    """
    bp.register_error_handler(DomainError, handle_domain_error)
    bp.register_error_handler(HTTPException, handle_http_error)
    for code in default_exceptions:
        bp.register_error_handler(code, handle_http_error)


def init_app(app: Flask) -> None:
    """App-level fallbacks for what never reaches a blueprint view (unrouted paths, wrong methods, crashes)."""
    for code in (404, 405, 500):
        previous = app.error_handler_spec[None][code].get({404: NotFound, 405: MethodNotAllowed,
                                                           500: InternalServerError}[code])
        app.register_error_handler(code, _chain(previous))


def _chain(previous):
    def handler(exc):
        if request.path.startswith(JSON_PREFIXES) or request.path in ("/api", "/device"):
            return handle_http_error(exc)
        return previous(exc) if previous is not None else exc

    return handler


def not_routed(path: str = ""):
    """Catch-all under a JSON prefix: 405 when another method would match, else 404 (always JSON)."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = set()
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        if method == request.method:
            continue
        try:
            endpoint, _ = adapter.match(request.path, method=method)
        except HTTPException:
            continue
        if not endpoint.endswith(".not_routed"):
            allowed.add(method)
    if allowed:
        raise MethodNotAllowed(valid_methods=sorted(allowed))
    raise NotFound("No such API endpoint. See /api/docs.")
