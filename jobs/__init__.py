"""RQ job functions: enqueued by dotted name with ids only; each re-reads state and calls one service.

A job that finds the state has moved on does nothing: that is normal, not an error.
"""
import logging
from contextlib import contextmanager

from flask import current_app, has_app_context

log = logging.getLogger(__name__)
_app = None


@contextmanager
def app_context():
    """Use the current app (embedded scheduler) or build one once per worker process (RQ)."""
    global _app
    if has_app_context():
        yield current_app
        return
    if _app is None:
        from webapp import create_app

        _app = create_app()
    with _app.app_context():
        from webapp.extensions import db

        try:
            yield _app
        finally:
            db.session.remove()
