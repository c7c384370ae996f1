"""System health: the database, Redis and RQ (queue depth, workers, scheduled timers) or the in-process
scheduler, and which chargers each process holds.

With Redis, the timers run only while three processes live: an RQ worker on the queue (it beats every
worker_ttl - 15 s; one whose last beat is older than RQ_HEARTBEAT_STALE_SECONDS is dead), the scheduler
that `rq worker --with-scheduler` starts (it holds `rq:scheduler-lock:<queue>`, which expires 60 s after it
stops refreshing it) and `rq cron` (its beat is a score in RQ's cron registry; RQ drops it after 120 s).
"""
import time
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import func, select, text

from ...extensions import db
from ...models import Charger
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
    from rq import Queue
    from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

    try:
        conn = redis_connection(url)
        began = time.perf_counter()
        conn.ping()
        ms = round((time.perf_counter() - began) * 1000, 1)
        queue = Queue(timers.QUEUE_NAME, connection=conn)
        processes = rq_processes(conn)
        routes = {}
        for key in conn.scan_iter("cw:route:*", count=500):
            node = conn.get(key)
            node = node.decode() if isinstance(node, bytes) else node
            routes[node] = routes.get(node, 0) + 1
        return {"ok": True, "ms": ms, "queue": timers.QUEUE_NAME, "depth": queue.count, **processes,
                "scheduled": ScheduledJobRegistry(queue=queue).count, "started": StartedJobRegistry(queue=queue).count,
                "failed": FailedJobRegistry(queue=queue).count, "routes": sorted(routes.items())}
    except Exception as exc:  # connection refused, timeout, auth: all mean "not healthy"
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}


def redis_connection(url: str):
    """A short-timeout connection for health checks (RQ needs undecoded responses)."""
    from redis import Redis

    return Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def rq_processes(conn) -> dict:
    """The RQ workers (each with its heartbeat age), whether one serving our queue is alive, the scheduler, cron."""
    from rq import Worker

    stale_after = timedelta(seconds=current_app.config["RQ_HEARTBEAT_STALE_SECONDS"])
    workers = [_worker(w, stale_after) for w in Worker.all(connection=conn)]
    live = [w for w in workers if w["fresh"] and timers.QUEUE_NAME in w["queue_list"]]
    return {"workers": workers, "worker_up": bool(live), "scheduler": _rq_scheduler(conn), "cron": _rq_cron(conn)}


def _worker(worker, stale_after: timedelta) -> dict:
    """One registered RQ worker; `fresh` when its last heartbeat is recent enough for it to be alive."""
    beat = worker.last_heartbeat
    age = None if beat is None else (datetime.now(timezone.utc) - beat).total_seconds()
    return {"name": worker.name, "state": worker.get_state(), "queues": ", ".join(worker.queue_names()),
            "queue_list": worker.queue_names(), "job": worker.get_current_job_id() or "",
            "heartbeat_age": None if age is None else round(age), "fresh": age is not None and age <= stale_after.total_seconds()}


def _rq_scheduler(conn) -> dict:
    """The scheduler of `rq worker --with-scheduler`: up while it holds (and refreshes) the queue's lock."""
    from rq.scheduler import RQScheduler

    owner = conn.get(RQScheduler.get_locking_key(timers.QUEUE_NAME))
    return {"up": owner is not None, "name": owner.decode() if isinstance(owner, bytes) else owner}


def _rq_cron(conn) -> dict:
    """`rq cron` processes whose last heartbeat is within RQ's own stale threshold."""
    from rq.cron_scheduler_registry import get_registry_key
    from rq.defaults import DEFAULT_CRON_SCHEDULER_TTL

    cutoff = time.time() - DEFAULT_CRON_SCHEDULER_TTL
    names = [n.decode() if isinstance(n, bytes) else n
             for n in conn.zrangebyscore(get_registry_key(), cutoff, "+inf")]
    return {"up": bool(names), "names": names}


def timer_processes_down(report: dict | None) -> list[str]:
    """The timer processes a Redis report shows down ("RQ worker", "RQ scheduler", "rq cron"); [] embedded."""
    if report is None or not report.get("ok"):
        return []
    down = [] if report["worker_up"] else ["RQ worker"]
    down += [] if report["scheduler"]["up"] else ["RQ scheduler"]
    return down + ([] if report["cron"]["up"] else ["rq cron"])


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
    report["timers_down"] = timer_processes_down(report["redis"])
    report["ok"] = (report["database"]["ok"] and (report["redis"] is None or report["redis"]["ok"])
                    and not report["timers_down"])
    return report
