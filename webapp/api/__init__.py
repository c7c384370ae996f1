"""The JSON API for mobile apps (/api, Bearer tokens) and simple devices (/device, HTTP Basic).

Each view declares its contract with `contract.endpoint` (spectree, pydantic models in `resources.py`);
/api/openapi.json is spectree's document of those declarations.
"""
from flask import Flask

from . import auth, balance, bookings, changes, charging, device, errors, openapi, payments, sessions, stations  # noqa: F401,E501
from .blueprint import bp, device_bp

errors.register(bp)
errors.register(device_bp)
bp.add_url_rule("/<path:path>", "not_routed", errors.not_routed, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
device_bp.add_url_rule("/<path:path>", "not_routed", errors.not_routed,
                       methods=["GET", "POST", "PUT", "PATCH", "DELETE"])


def init_app(app: Flask) -> None:
    """Register both blueprints (exempt from CSRF: no cookies, Bearer or Basic credentials) and the JSON
    fallbacks for errors that never reach a view."""
    from ..extensions import csrf

    csrf.exempt(bp)
    csrf.exempt(device_bp)
    app.register_blueprint(bp)
    app.register_blueprint(device_bp)
    errors.init_app(app)
