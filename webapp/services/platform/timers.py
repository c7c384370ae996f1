"""Timers: RQ jobs when Redis is configured, an in-process scheduler otherwise.

Jobs are named by dotted path and receive ids only. Every job re-reads the database, so running late,
early (RQ truncates scheduled times to whole seconds) or twice is harmless. A job in RETRIED that raises
(the database or Redis went away, the gateway errored) runs again after JOB_RETRY_INTERVALS: an RQ `Retry`
in production, the same backoff in the in-process scheduler.
"""
import heapq
import itertools
import logging
import threading
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.utils import import_string

from ... import metrics
from ...timeutil import utcnow

log = logging.getLogger(__name__)

QUEUE_NAME = "chargeway"

#: Periodic jobs: (dotted path, setting holding the period in seconds).
PERIODIC = (
    ("jobs.presence.detect_offline", "OFFLINE_CHECK_SECONDS"),
    ("jobs.sweep.run", "SWEEP_SECONDS"),
    ("jobs.maintenance.tick", "MAINTENANCE_TICK_SECONDS"),
    ("jobs.money.reconcile_payments", "PAYMENT_RECONCILE_SECONDS"),
    ("jobs.retention.run", "RETENTION_SECONDS"),
    ("jobs.smart.replan", "SMART_REPLAN_SECONDS"),
)

#: Jobs that talk to chargers or the gateway (directly or through the booking timers' captures, refunds and
#: CancelReservation): retried after an error. Each is idempotent: a stop claims its attempt number in the
#: database, a reservation is re-sent with the same reservationId (which replaces it, OCPP 1.6 5.13), a
#: payment reuses its idempotency key, a push or an email is sent once per device (a delivery row each), a
#: station's rebalance plans from what is and sends only the profiles that changed.
#: Periodic jobs are not retried: their next period is the retry.
RETRIED = ("jobs.charging.", "jobs.money.top_up", "jobs.bookings.", "jobs.smart.read_configuration",
           "jobs.smart.rebalance", "jobs.notify.")


def retried(func: str) -> bool:
    return func.startswith(RETRIED)


def retry_delay(config, attempt: int) -> int:
    """Seconds before retry `attempt` (1-based), picked as RQ's `Job.get_retry_interval` does: with fewer
    intervals than retries the first one is repeated at the start."""
    intervals = config["JOB_RETRY_INTERVALS"] or (0,)
    retries_left = config["JOB_RETRY_MAX"] - attempt + 1
    return intervals[min(max(len(intervals) - retries_left, 0), len(intervals) - 1)]


class InProcessScheduler:
    """A heap of due jobs; a daemon thread runs them when started (embedded mode)."""

    def __init__(self, app: Flask):
        self.app = app
        self._heap: list = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False

    def schedule(self, func: str, at: datetime, args: tuple, failures: int = 0) -> None:
        with self._cond:
            heapq.heappush(self._heap, (at, next(self._seq), func, args, failures))
            self._cond.notify()

    def schedule_many(self, jobs: list[tuple[str, datetime, tuple]]) -> None:
        for func, at, args in jobs:
            self.schedule(func, at, args)

    def pending(self) -> list[tuple[datetime, str, tuple]]:
        with self._cond:
            return [(at, func, args) for at, _, func, args, _ in sorted(self._heap)]

    def run_due(self, now: datetime | None = None) -> int:
        """Run every job due by `now` in this thread; returns how many ran (tests call this directly)."""
        ran = 0
        while True:
            with self._cond:
                if not self._heap or self._heap[0][0] > (now or utcnow()):
                    return ran
                at, _, func, args, failures = heapq.heappop(self._heap)
            self._run(func, args, at, failures)
            ran += 1

    def _run(self, func: str, args: tuple, at: datetime, failures: int = 0) -> None:
        with self.app.app_context():
            if func != _PERIODIC:
                metrics.timer_lag(func, (utcnow() - at).total_seconds())
            try:
                import_string(func)(*args)
            except Exception:
                log.error("Job %s%r failed", func, args, exc_info=True)
                if retried(func) and failures < self.app.config["JOB_RETRY_MAX"]:
                    delay = retry_delay(self.app.config, failures + 1)
                    metrics.job_retried(func)
                    log.info("Job %s%r: retry %d in %d s", func, args, failures + 1, delay)
                    self.schedule(func, utcnow() + timedelta(seconds=delay), args, failures + 1)
            finally:
                from ...extensions import db

                db.session.remove()

    def start(self) -> None:
        if self._thread is not None:
            return
        now = utcnow()
        for func, setting in PERIODIC:
            self.schedule(_PERIODIC, now, (func, setting))
        self._thread = threading.Thread(target=self._loop, name="chargeway-timers", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify()

    def _loop(self) -> None:
        while not self._stopping:
            self.run_due()
            with self._cond:
                wait = 1.0
                if self._heap:
                    wait = max(0.0, min(wait, (self._heap[0][0] - utcnow()).total_seconds()))
                self._cond.wait(wait)


_PERIODIC = "webapp.services.platform.timers._periodic"


def _periodic(func: str, setting: str) -> None:
    """Run a periodic job, then schedule its next run."""
    try:
        import_string(func)()
    finally:
        period = current_app.config.get(setting, 30)
        current_app.extensions["chargeway_timers"].schedule(
            _PERIODIC, utcnow() + timedelta(seconds=period), (func, setting))


class RQTimers:
    """Timers as RQ jobs (`rq worker --with-scheduler`); periodic jobs come from `rq cron jobs/cron.py`."""

    def __init__(self, app: Flask):
        from redis import Redis
        from rq import Queue

        self.queue = Queue(QUEUE_NAME, connection=Redis.from_url(app.config["REDIS_URL"]))
        self.retry = None
        if app.config["JOB_RETRY_MAX"] > 0:
            from rq import Retry

            self.retry = Retry(max=app.config["JOB_RETRY_MAX"], interval=list(app.config["JOB_RETRY_INTERVALS"]) or 0)

    def schedule(self, func: str, at: datetime, args: tuple) -> None:
        self.schedule_many([(func, at, args)])

    def schedule_many(self, jobs: list[tuple[str, datetime, tuple]]) -> None:
        """Every job in one Redis round trip (a boot batch of a reconnect storm schedules hundreds)."""
        pipe = self.queue.connection.pipeline()
        for func, at, args in jobs:
            # `due` lets the worker measure the timer's lag (jobs/__init__.py).
            self.queue.enqueue_at(at, func, *args, failure_ttl=86400, meta={"due": at.timestamp()},
                                  retry=self.retry if retried(func) else None, pipeline=pipe)
        pipe.execute()

    def pending(self) -> list:
        from rq.registry import ScheduledJobRegistry

        registry = ScheduledJobRegistry(queue=self.queue)
        return [(None, jid, ()) for jid in registry.get_job_ids()]

    def run_due(self, now=None) -> int:
        return 0

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass


def init_app(app: Flask) -> None:
    backend = RQTimers(app) if app.config.get("REDIS_URL") else InProcessScheduler(app)
    app.extensions["chargeway_timers"] = backend


def start_embedded(app: Flask) -> None:
    """Start the in-process timer thread (the embedded server calls this once)."""
    app.extensions["chargeway_timers"].start()


def schedule(func: str, at: datetime, *args) -> None:
    """Run job `func(*args)` at `at` (UTC), once the current database transaction commits."""
    from ...extensions import db

    db.session.info.setdefault(_PENDING, []).append((current_app.extensions["chargeway_timers"], func, at, args))


_PENDING = "chargeway_pending_jobs"


@event.listens_for(Session, "after_commit")
def _dispatch_after_commit(session: Session) -> None:
    by_backend: dict[int, tuple[object, list]] = {}
    for backend_, func, at, args in session.info.pop(_PENDING, []):
        by_backend.setdefault(id(backend_), (backend_, []))[1].append((func, at, args))
    for backend_, jobs in by_backend.values():
        try:
            backend_.schedule_many(jobs)
        except Exception:
            log.error("Could not schedule %d jobs: %s", len(jobs),
                      ", ".join(f"{func}{args!r}" for func, _, args in jobs[:20]), exc_info=True)


@event.listens_for(Session, "after_rollback")
def _drop_on_rollback(session: Session) -> None:
    if not session.in_transaction():
        session.info.pop(_PENDING, None)


def enqueue(func: str, *args) -> None:
    """Run job `func(*args)` as soon as possible, outside this request or socket."""
    schedule(func, utcnow(), *args)


def backend():
    return current_app.extensions["chargeway_timers"]


def redis():
    """The jobs' Redis connection (None in embedded mode: one timer thread runs every job)."""
    queue = getattr(backend(), "queue", None)
    return queue.connection if queue is not None else None


def duration(name: str) -> timedelta:
    """A timer setting (HOLD, ARRIVAL_GRACE, EXIT_GRACE): `<name>_SECONDS` when set, else `<name>_MINUTES`."""
    seconds = current_app.config.get(f"{name}_SECONDS") or 0
    return timedelta(seconds=seconds) if seconds > 0 else timedelta(minutes=current_app.config[f"{name}_MINUTES"])


def describe(span: timedelta) -> str:
    """'10 min' or '30 s', for messages."""
    seconds = int(span.total_seconds())
    return f"{seconds // 60} min" if seconds >= 60 else f"{seconds} s"
