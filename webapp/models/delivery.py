"""Reaching a driver outside the app: push subscriptions (one per device), notification preferences, and
the record of each notification sent by push or email (so a retried job never sends twice)."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow
from .types import UTCDateTime

CHANNELS = ("in_app", "push", "email")


class PushSubscription(db.Model):
    """A browser's Web Push subscription (RFC 8030 endpoint + RFC 8291 keys); the endpoint names the device."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(String(120))  # the browser's P-256 public key, base64url
    auth: Mapped[str] = mapped_column(String(40))  # the 16-byte auth secret, base64url
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NotificationPreference(db.Model):
    """A driver's choice for one kind of notification on one channel (rows only where it differs from the
    default in services/platform/preferences.py)."""

    __tablename__ = "notification_preferences"
    __table_args__ = (CheckConstraint("channel IN ('in_app', 'push', 'email')", name="channel_known"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel: Mapped[str] = mapped_column(String(8), primary_key=True)
    enabled: Mapped[bool] = mapped_column()


class NotificationDelivery(db.Model):
    """One notification sent on one channel to one target (a push subscription, or the account's email)."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (UniqueConstraint("notification_id", "channel", "target", name="uq_delivery_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(8))
    target: Mapped[str] = mapped_column(String(40))  # "sub:<id>" or "email"
    status: Mapped[str] = mapped_column(String(8))  # sent | failed | gone
    detail: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
