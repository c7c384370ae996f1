"""Append-only records: charger events, the OCPP message log, audit entries, notifications, maintenance."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, JSON, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow
from .types import UTCDateTime


class ChargerEvent(db.Model):
    """boot, online, offline, status, fault, unknown_transaction, unknown_id_tag, late_message..."""

    __tablename__ = "charger_events"
    __table_args__ = (Index("ix_charger_events_charger_time", "charger_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    charger_id: Mapped[int] = mapped_column(ForeignKey("chargers.id", ondelete="CASCADE"))
    connector_id: Mapped[int | None]  # OCPP connector number
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(String(500), default="")
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # charger's time
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    charger = relationship("Charger")


class OcppMessage(db.Model):
    """Bounded per-charger log of OCPP exchanges: a CALL (`direction` says who sent it: "in" the charger,
    "out" we) and, in the same row, its answer (CALLRESULT or CALLERROR, or what came instead: a timeout);
    a frame that never parsed as a CALL is a row of its own with no answer."""

    __tablename__ = "ocpp_messages"
    __table_args__ = (Index("ix_ocpp_messages_charger_id_id", "charger_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign key: its check (a SELECT ... FOR KEY SHARE of the charger per row) was half of PostgreSQL's
    # CPU per logged exchange (bench/README.md); chargers are never deleted, and rows of one that was are
    # dropped by the retention job (services/platform/retention.py).
    charger_id: Mapped[int] = mapped_column()
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    action: Mapped[str | None] = mapped_column(String(48))
    unique_id: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditLog(db.Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    ip: Mapped[str | None] = mapped_column(String(45))
    #: Through what the change came: console, app (the driver's pages), api, cli, job, charger or system.
    via: Mapped[str] = mapped_column(String(16), default="system", server_default="system")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    user = relationship("User")


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(String(500), default="")
    link: Mapped[str | None] = mapped_column(String(200))
    dedupe_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    #: The station's IANA timezone (else the one of the driver's latest booking): times are shown in it.
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    #: False when the driver turned this kind off in the app: kept only for push and email to read.
    in_app: Mapped[bool] = mapped_column(default=True, server_default=true())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MaintenanceWindow(db.Model):
    __tablename__ = "maintenance_windows"

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id"), index=True)
    charger_id: Mapped[int | None] = mapped_column(ForeignKey("chargers.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[str] = mapped_column(String(12), default="scheduled")  # scheduled|active|done|cancelled
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    station = relationship("Station")
    charger = relationship("Charger")
