"""Retention: delete what the *_KEEP_DAYS settings and OCPP_LOG_KEEP no longer keep."""
from webapp.services.platform import retention

from . import app_context


def run() -> None:
    with app_context():
        retention.prune()
