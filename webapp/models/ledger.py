"""The driver's balance (a ledger of what is owed, paid and waived) and the simulated gateway's memory."""
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow
from .types import UTCDateTime

BALANCE_KINDS = ("owed", "paid", "waived")


class BalanceEntry(db.Model):
    """One line of a driver's balance: outstanding = owed - paid - waived (amounts are positive)."""

    __tablename__ = "balance_entries"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("kind IN ('owed', 'paid', 'waived')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What makes the entry happen once: "owed:booking:<id>", "paid:payment:<id>:<booking>", ...
    entry_key: Mapped[str] = mapped_column(String(80), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="INR")
    reason: Mapped[str | None] = mapped_column(String(200))
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    booking = relationship("Booking")
    payment = relationship("Payment")
    staff_user = relationship("User", foreign_keys=[staff_user_id])


class GatewayRecord(db.Model):
    """What the simulated gateway answered for an idempotency key; it plays an external service, so it writes
    this table on its own connection, never in the caller's transaction."""

    __tablename__ = "gateway_records"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    status: Mapped[str] = mapped_column(String(12))
    reference: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
