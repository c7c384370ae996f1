"""System health: the database, Redis and RQ (queue depth, workers, scheduled timers) or the in-process
scheduler, and which chargers each process holds."""
import time

from flask import current_app
from sqlalchemy import func, select, text

from ..extensions import db
from ..models import Charger
from . import bus, timers


def database() -> dict:
    """Whether a trivial query succeeds, and how long it took."""
    began = time.perf_counter()
    try:
        db.session.execute(text("SELECT 1")).scalar_one()
        db.session.rollback()
    except Exception as exc:  # any driver error means "not reachable"; show it
        db.session.rollback()
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300], "dialect": db.engine.dialect.name}
    return {"ok": True, "ms": round((time.perf_counter() - began) * 1000, 1), "dialect": db.engine.dialect.name}


def redis_and_rq() -> dict | None:
    """Redis ping, RQ queue depth, workers and registries; None in embedded mode (no REDIS_URL)."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    from redis import Redis
    from rq import Queue, Worker
    from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

    try:
        conn = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        began = time.perf_counter()
        conn.ping()
        ms = round((time.perf_counter() - began) * 1000, 1)
        queue = Queue(timers.QUEUE_NAME, connection=conn)
        workers = [{"name": w.name, "state": w.get_state(), "queues": ", ".join(w.queue_names()),
                    "job": (w.get_current_job_id() or "")} for w in Worker.all(connection=conn)]
        routes = {}
        for key in conn.scan_iter("cw:route:*", count=500):
            node = conn.get(key)
            node = node.decode() if isinstance(node, bytes) else node
            routes[node] = routes.get(node, 0) + 1
        return {"ok": True, "ms": ms, "queue": timers.QUEUE_NAME, "depth": queue.count, "workers": workers,
                "scheduled": ScheduledJobRegistry(queue=queue).count, "started": StartedJobRegistry(queue=queue).count,
                "failed": FailedJobRegistry(queue=queue).count, "routes": sorted(routes.items())}
    except Exception as exc:  # connection refused, timeout, auth: all mean "not healthy"
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}


def scheduler() -> dict | None:
    """The in-process scheduler's pending jobs (embedded mode); None when RQ runs the timers."""
    backend = timers.backend()
    if current_app.config.get("REDIS_URL"):
        return None
    thread = getattr(backend, "_thread", None)
    pending = backend.pending()
    return {"running": bool(thread and thread.is_alive()), "pending": len(pending),
            "next": [{"at": at, "job": func, "args": args} for at, func, args in pending[:20]]}


def chargers() -> dict:
    """Chargers connected to this process (from the bus), and the database's view per node."""
    the_bus = bus.get()
    per_node = db.session.execute(select(Charger.node_id, func.count(Charger.id)).where(Charger.online.is_(True))
                                  .group_by(Charger.node_id).order_by(Charger.node_id)).all()
    db.session.rollback()
    return {"node": the_bus.node_id, "here": the_bus.connected_ids(), "per_node": [(n or "?", c) for n, c in per_node]}


def check() -> dict:
    """Everything the health page shows; `ok` is false when a required part is down."""
    report = {"database": database(), "redis": redis_and_rq(), "scheduler": scheduler(), "chargers": chargers()}
    report["ok"] = report["database"]["ok"] and (report["redis"] is None or report["redis"]["ok"])
    return report
