"""The OCPP 1.6J central system: `ws://HOST:PORT/ocpp/<chargePointId>`, subprotocol `ocpp1.6`."""
import base64
import binascii
import logging

from flask import Blueprint, abort, current_app, request

from ..extensions import sock
from ..extensions import db
from ..services.charging import shutdown
from ..services.fleet import charger_auth

log = logging.getLogger(__name__)

bp = Blueprint("ocpp", __name__)


@bp.before_request
def check_handshake():
    """Refuse before the upgrade: wrong subprotocol (400), an unknown id or a bad charger password (401),
    an id another socket holds (409), too many bad passwords (429), or this worker shutting down (503: the
    charger tries another node). See services/fleet/charger_auth.py."""
    if shutdown.draining(current_app):
        abort(503, description="Shutting down; connect to another node")
    offered = [p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",") if p.strip()]
    if "ocpp1.6" not in offered:
        log.warning("Refused %s: subprotocols offered %s", request.path, offered or "none")
        abort(400, description="Subprotocol ocpp1.6 required")
    cp_id = (request.view_args or {}).get("cp_id", "")
    if not cp_id or len(cp_id) > 48 or not cp_id.isprintable():  # no NUL, control or surrogate characters
        abort(404)
    user, password = _basic_auth()
    refusal = charger_auth.check(cp_id, user, password, request.remote_addr)
    if db.session.registry.has():  # read here, not in a batch (HANDSHAKE_BATCH_MS 0)
        db.session.rollback()  # release SQLite's lock before the long-lived socket starts
    if refusal is not None:
        log.warning("Refused %s from %s: %s", cp_id, request.remote_addr, refusal.message)
        return (refusal.message, refusal.status, refusal.headers)


def _basic_auth() -> tuple[str | None, str | None]:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return None, None
    try:
        user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    return user, password


@sock.route("/ocpp/<path:cp_id>", bp=bp)
def charger_socket(ws, cp_id):
    """Serve one charge point for as long as its socket stays open."""
    from .connection import ChargerConnection

    ChargerConnection(ws, cp_id).serve()
