"""Liveness and readiness for load balancers and orchestrators."""
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from .extensions import db

bp = Blueprint("ops", __name__)


@bp.route("/healthz")
def healthz():
    """The process is up and serving."""
    return jsonify(status="ok", node=current_app.config["NODE_ID"])


@bp.route("/readyz")
def readyz():
    """Ready when the database (and Redis, when configured) answer."""
    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
        checks["database"] = "ok"
    except Exception as exc:  # reported, not raised: this is the check
        checks["database"] = f"error: {type(exc).__name__}"
    if current_app.config.get("REDIS_URL"):
        try:
            current_app.extensions["chargeway_bus"].redis.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503
