"""Liveness and readiness for load balancers and orchestrators."""
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from .extensions import db
from .services.platform import health, timers

bp = Blueprint("ops", __name__)


@bp.route("/favicon.ico")
def favicon():
    """The icon browsers ask for at the root (for pages that link none: JSON, the API docs, a download)."""
    return current_app.send_static_file("favicon.ico")


@bp.route("/healthz")
def healthz():
    """The process is up and serving."""
    return jsonify(status="ok", node=current_app.config["NODE_ID"])


@bp.route("/readyz")
def readyz():
    """Ready when the database answers and, with Redis, Redis answers and the timer processes (an RQ worker
    with a fresh heartbeat, its scheduler, rq cron) are alive: without them no timer fires."""
    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
        checks["database"] = "ok"
    except Exception as exc:  # reported, not raised: this is the check
        checks["database"] = f"error: {type(exc).__name__}"
    if current_app.config.get("REDIS_URL"):
        try:
            conn = health.redis_connection(current_app.config["REDIS_URL"])
            conn.ping()
            checks["redis"] = "ok"
            processes = health.rq_processes(conn)
            checks["rq_worker"] = "ok" if processes["worker_up"] else (
                f"down: no worker on queue {timers.QUEUE_NAME} with a heartbeat in the last "
                f"{current_app.config['RQ_HEARTBEAT_STALE_SECONDS']} s")
            checks["rq_scheduler"] = "ok" if processes["scheduler"]["up"] else (
                "down: no `rq worker --with-scheduler` holds the scheduler lock")
            checks["rq_cron"] = "ok" if processes["cron"]["up"] else "down: no `rq cron` heartbeat"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503
