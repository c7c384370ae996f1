"""Bookings and payments."""
from datetime import datetime

from sqlalchemy import DDL, JSON, BigInteger, CheckConstraint, ForeignKey, Index, String, event, func, text
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow
from .types import UTCDateTime

LIVE_STATUSES = ("HELD", "CONFIRMED", "CHARGING", "FINISHING", "OVERSTAY")
FINAL_STATUSES = ("EXPIRED", "NO_SHOW", "CANCELLED", "COMPLETED")
_LIVE_SQL = text("status IN ('HELD', 'CONFIRMED', 'CHARGING', 'FINISHING', 'OVERSTAY')")
#: A slot booked ahead: SLOT_HELD until paid (hold_expires_at), then SCHEDULED until its start. Neither is a
#: live booking (the one-per-connector/driver indexes ignore them); the slot keeps its connector's time range
#: while it is in any of SLOT_STATUSES.
SLOT_STATUSES = ("SLOT_HELD", "SCHEDULED") + LIVE_STATUSES
_SLOT_SQL = text("slot_start IS NOT NULL AND status IN ('SLOT_HELD', 'SCHEDULED', 'HELD', 'CONFIRMED', "
                 "'CHARGING', 'FINISHING', 'OVERSTAY')")


# Why a booking ended: a code-like phrase, or staff's own reason (up to 150 characters) after who ended it.
END_REASON_MAX = 200


class Booking(db.Model):
    __tablename__ = "bookings"
    __table_args__ = (
        # One live booking per connector and per driver, whatever the races.
        Index("uq_bookings_live_connector", "connector_id", unique=True,
              sqlite_where=_LIVE_SQL, postgresql_where=_LIVE_SQL),
        Index("uq_bookings_live_user", "user_id", unique=True,
              sqlite_where=_LIVE_SQL, postgresql_where=_LIVE_SQL),
        CheckConstraint("quota_kwh IS NULL OR quota_kwh > 0", name="quota_positive"),
        CheckConstraint("slot_start IS NULL OR (slot_end > slot_start AND slot_clear_at >= slot_end)",
                        name="slot_ordered"),
        # Two slots on one connector never overlap (changeover margin included). PostgreSQL enforces it here;
        # SQLite serialises the check and the insert (services/booking/slots.py, one BEGIN IMMEDIATE).
        ExcludeConstraint(("connector_id", "="), (func.tstzrange(text("slot_start"), text("slot_clear_at")), "&&"),
                          name="ex_bookings_slot_overlap", using="gist", where=_SLOT_SQL).ddl_if(dialect="postgresql"),
        Index("ix_bookings_slot", "connector_id", "slot_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    connector_id: Mapped[int] = mapped_column(ForeignKey("connectors.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="HELD", index=True)
    quota_kwh: Mapped[float | None]
    quota_minutes: Mapped[int | None]
    charging_mode: Mapped[str] = mapped_column(String(16), default="fast", server_default="fast")  # fast | standard | solar
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    hold_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    arrive_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    exit_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reservation_id: Mapped[int | None]
    # The charger's answer to ReserveNow: pending | Accepted | Occupied | Faulted | Rejected | Unavailable |
    # failed (no answer) | none (no Reservation profile: the idTag rule alone protects the connector).
    reservation_status: Mapped[str | None] = mapped_column(String(12))
    # When the driver pressed Start inside the arrival grace; StartTransaction may follow within
    # START_CONNECT_SECONDS of it even if the grace has ended meanwhile.
    start_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    currency: Mapped[str] = mapped_column(String(3), default="INR")
    amount_authorised: Mapped[int] = mapped_column(BigInteger, default=0)
    amount_captured: Mapped[int] = mapped_column(BigInteger, default=0)
    amount_refunded: Mapped[int] = mapped_column(BigInteger, default=0)
    #: What the booking cost in the end (energy, time, fees, idle fee), fixed when it is settled; settling
    #: again (a retry, the reconciliation job) reads it, so the total never changes between attempts.
    amount_due: Mapped[int | None] = mapped_column(BigInteger)
    #: The session energy (Wh) at which its cost reaches AUTH_TOPUP_PERCENT of the authorisation: MeterValues
    #: past it ask the gateway for more (services/money/topups.py). None: nothing to watch.
    topup_at_wh: Mapped[int | None]
    idle_fee: Mapped[int] = mapped_column(BigInteger, default=0)
    end_reason: Mapped[str | None] = mapped_column(String(END_REASON_MAX))
    rating: Mapped[int | None]
    #: Solar: the least power (kW) the driver accepts while the surplus is low; None for other modes.
    solar_floor_kw: Mapped[float | None]
    #: Modes switched mid-session: [[from_wh, mode], ...] from 0 Wh (None: one mode throughout); the energy of
    #: each segment is billed at its mode's price (services/money/pricing.energy_cost).
    mode_segments: Mapped[list | None] = mapped_column(JSON)
    stuck_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # flagged by the sweep (services/charging/stuck.py)
    #: A slot booked ahead (UTC): the driver's time [slot_start, slot_end); the connector stays blocked
    #: until slot_clear_at (slot_end + the changeover margin at booking time). None: an immediate hold.
    slot_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    slot_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    slot_clear_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User")
    connector = relationship("Connector")
    payments = relationship("Payment", back_populates="booking", order_by="Payment.id")
    session = relationship("ChargingSession", back_populates="booking", uselist=False)

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES

    @property
    def reservation_refused(self) -> bool:
        """The charger answered ReserveNow with a refusal: the connector is not reserved for the driver."""
        return self.reservation_status in RESERVATION_REFUSALS

    @property
    def timezone(self) -> str:
        """The station's IANA timezone: the clock the booking's times are told on."""
        return self.connector.charger.station.timezone


# The exclusion constraint needs btree_gist (for "=" on an integer in a GiST index); created_all in tests.
event.listen(Booking.__table__, "before_create",
             DDL("CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public").execute_if(dialect="postgresql"))


#: ReserveNow answers that mean the connector is not reserved (OCPP 1.6 ReservationStatus minus Accepted).
RESERVATION_REFUSALS = ("Occupied", "Faulted", "Rejected", "Unavailable")


PAYMENT_KINDS = ("authorise", "increment", "capture", "refund", "void", "settle")
PAYMENT_METHODS = ("card", "upi", "wallet")


_LIVE_AUTH_SQL = text("kind = 'authorise' AND status IN ('pending', 'succeeded')")


class Payment(db.Model):
    __tablename__ = "payments"
    __table_args__ = (
        # One authorisation per booking in flight or held, whatever the races between two pay requests.
        Index("uq_payments_live_authorisation", "booking_id", unique=True,
              sqlite_where=_LIVE_AUTH_SQL, postgresql_where=_LIVE_AUTH_SQL),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="INR")
    method: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(12))  # succeeded | declined | failed | pending
    provider_ref: Mapped[str | None] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    failure_reason: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(String(200))  # why a refund was made
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    booking = relationship("Booking", back_populates="payments")
    user = relationship("User")
