"""Observability wiring: `/metrics` for Prometheus, a request id on every request, HTTP latency by endpoint.

Who may read `/metrics`: with METRICS_TOKEN set, a request carrying `Authorization: Bearer <token>`; without
it, only a direct connection from loopback (no Forwarded / X-Forwarded-For header, which a reverse proxy on
the same host adds), so the embedded server on 127.0.0.1 is open to a local Prometheus and a public node is not.
"""
import hmac
import ipaddress
import os
import re
import time
import uuid

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client import multiprocess

from . import metrics

bp = Blueprint("observe", __name__)

#: An incoming X-Request-ID is kept when it is this sane (a proxy's or client's id); otherwise we make one.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")
#: Long-lived WebSockets are not requests with a latency worth a histogram bucket.
_UNTIMED = frozenset(("ocpp.charger_socket", "observe.scrape"))


@bp.route("/metrics")
def scrape():
    """The Prometheus text format: this process, or every worker's files in multiprocess mode."""
    if not _may_read():
        abort(404)  # not advertised: it is an operator's endpoint
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def _may_read() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        given = request.headers.get("Authorization", "")
        return given.startswith("Bearer ") and hmac.compare_digest(given[7:].encode(), token.encode())
    if request.headers.get("X-Forwarded-For") or request.headers.get("Forwarded"):
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def _start() -> None:
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _finish(response: Response) -> Response:
    response.headers["X-Request-ID"] = g.get("request_id", "")
    endpoint = request.url_rule.endpoint if request.url_rule is not None else "unmatched"
    if endpoint not in _UNTIMED and "request_started" in g:
        metrics.http_request(endpoint, request.method, response.status_code,
                             time.perf_counter() - g.request_started)
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.before_request(_start)
    app.after_request(_finish)
