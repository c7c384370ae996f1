"""Notification jobs: the push and email copies of one notification (retried while the service is away)."""
from webapp.services.platform import delivery

from . import app_context


def push(notification_id: int) -> None:
    with app_context():
        delivery.send_push(notification_id)


def email(notification_id: int) -> None:
    with app_context():
        delivery.send_email(notification_id)
