"""OCPP transactions (charging sessions) and their meter samples."""
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from ..extensions import db
from ..timeutil import utcnow
from .types import BlankableString, UTCDateTime


PROFILE_TO_CLEAR = "stopped_at IS NOT NULL AND power_limit_kw IS NOT NULL"


class ChargingSession(db.Model):
    """One OCPP transaction; its primary key is the transactionId we hand out."""

    __tablename__ = "charging_sessions"
    __table_args__ = (
        # A StartTransaction sent twice (charger retry, replay after reconnect) maps to one row.
        UniqueConstraint("connector_id", "id_tag", "started_at", "meter_start", name="uq_sessions_start"),
        # Ended sessions whose TxProfile is still to be cleared (services/charging/smart.py): a short list.
        Index("ix_sessions_profile_to_clear", "connector_id", sqlite_where=text(PROFILE_TO_CLEAR),
              postgresql_where=text(PROFILE_TO_CLEAR)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    connector_id: Mapped[int] = mapped_column(ForeignKey("connectors.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"), unique=True)
    id_tag: Mapped[str] = mapped_column(String(20))
    auth_status: Mapped[str] = mapped_column(String(16), default="Accepted")
    reservation_id: Mapped[int | None]
    meter_start: Mapped[int]  # Wh
    meter_stop: Mapped[int | None]
    meter_last: Mapped[int | None]
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stop_reason: Mapped[str | None] = mapped_column(String(32))
    energy_wh: Mapped[int] = mapped_column(default=0)
    power_w: Mapped[float | None]
    # The TxProfile limit (kW) the charger last accepted for this transaction (None: none sent; once the
    # transaction ended, None again when its TxProfile was cleared).
    power_limit_kw: Mapped[float | None]
    soc_start: Mapped[float | None]
    soc_last: Mapped[float | None]
    cost: Mapped[int] = mapped_column(BigInteger, default=0)  # minor units (64-bit: a hostile meter cannot overflow it)
    currency: Mapped[str] = mapped_column(String(3), default="INR")
    rating: Mapped[int | None]
    remote_stop_sent: Mapped[bool] = mapped_column(default=False)
    # The server's stop, retried until StopTransaction arrives (services/charging/stop_retry.py).
    stop_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stop_reason_requested: Mapped[str | None] = mapped_column(String(32))
    stop_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    stop_attempted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stop_escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    connector = relationship("Connector")
    user = relationship("User")
    booking = relationship("Booking", back_populates="session")
    # Not a column: the time of its latest MeterSample, when a query asks for it in the same statement
    # (services/charging/session_summary.py LIVE_LOAD); None otherwise.
    latest_reading_at: Mapped[datetime | None] = query_expression()

    @property
    def is_active(self) -> bool:
        return self.stopped_at is None

    @property
    def energy_kwh(self) -> float:
        return self.energy_wh / 1000


class MeterSample(db.Model):
    __tablename__ = "meter_samples"
    __table_args__ = (
        Index("ix_meter_samples_session_time", "session_id", "timestamp"),
        # One reading per connector, time, measurand, phase and location: replays are dropped by
        # INSERT ... ON CONFLICT DO NOTHING (services/charging/metering.py), never by a read before the write.
        UniqueConstraint("connector_id", "timestamp", "measurand", "phase", "location",
                         name="uq_meter_samples_reading"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("charging_sessions.id"))
    connector_id: Mapped[int] = mapped_column(ForeignKey("connectors.id"))
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime)
    measurand: Mapped[str] = mapped_column(String(48))
    value: Mapped[float]
    unit: Mapped[str | None] = mapped_column(String(12))
    phase: Mapped[str | None] = mapped_column(BlankableString(8), nullable=False, server_default="")
    location: Mapped[str | None] = mapped_column(BlankableString(12), nullable=False, server_default="")
    context: Mapped[str | None] = mapped_column(String(32))


class SolarSample(db.Model):
    """Solar production a charger reports (DataTransfer vendorId "Chargeway", messageId "SolarProduction")."""

    __tablename__ = "solar_samples"
    __table_args__ = (UniqueConstraint("charger_id", "timestamp", name="uq_solar_samples_charger_time"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    charger_id: Mapped[int] = mapped_column(ForeignKey("chargers.id", ondelete="CASCADE"), index=True)
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime)
    kw: Mapped[float]
