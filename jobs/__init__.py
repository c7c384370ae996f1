"""RQ job functions: enqueued by dotted name with ids only; each re-reads state and calls one service.

A job that finds the state has moved on does nothing: that is normal, not an error.
"""
import logging
import time
from contextlib import contextmanager

from flask import current_app, has_app_context
from rq import get_current_job

from webapp import metrics

log = logging.getLogger(__name__)
_app = None


@contextmanager
def app_context():
    """Use the current app (embedded scheduler) or build one once per worker process (RQ)."""
    global _app
    from webapp.services.platform import audit

    if has_app_context():
        with audit.acting_as(None, "job"):
            yield current_app
        return
    if _app is None:
        from webapp import create_app

        _app = create_app()
    with _app.app_context():
        from webapp.extensions import db

        _observe_lag(_app)
        try:
            with audit.acting_as(None, "job"):
                yield _app
        finally:
            db.session.remove()


def _observe_lag(app) -> None:
    """How late this RQ job started after its due time (`due` is set by services/platform/timers.py); a retry's
    lateness is its backoff, not lag, so only the first run counts."""
    job = get_current_job()
    if job is None or "due" not in job.meta:
        return
    if job.retries_left is not None and job.retries_left < app.config["JOB_RETRY_MAX"]:
        return
    metrics.timer_lag(job.func_name, time.time() - job.meta["due"])
