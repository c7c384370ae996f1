"""Stations, their tariffs and weekly opening hours."""
from datetime import datetime

from sqlalchemy import ForeignKey, String, CheckConstraint, JSON
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow
from .types import UTCDateTime

STATION_STATUSES = ("active", "maintenance", "retired")


class Tariff(db.Model):
    """Prices in integer minor units of `currency`."""

    __tablename__ = "tariffs"
    __table_args__ = (
        CheckConstraint("price_per_kwh >= 0 AND price_per_minute >= 0 AND session_fee >= 0 "
                        "AND idle_fee_per_minute >= 0", name="non_negative"),
        CheckConstraint("slot_payment IN ('quota', 'deposit') AND slot_deposit >= 0 "
                        "AND slot_free_cancel_minutes >= 0", name="slot_policy"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    currency: Mapped[str] = mapped_column(String(3), default="INR")
    price_per_kwh: Mapped[int]  # minor units per kWh
    price_per_minute: Mapped[int] = mapped_column(default=0)
    session_fee: Mapped[int] = mapped_column(default=0)
    idle_fee_per_minute: Mapped[int] = mapped_column(default=0)
    #: Per-mode prices per kWh (minor units); None: the same as price_per_kwh (Fast).
    price_per_kwh_standard: Mapped[int | None]
    price_per_kwh_solar: Mapped[int | None]
    #: Slots booked ahead: free cancellation until this many minutes before the start (later, and a no-show,
    #: keep the session fee); paying a slot pre-authorises its quota's price ("quota") or `slot_deposit`.
    slot_free_cancel_minutes: Mapped[int] = mapped_column(default=60, server_default="60")
    slot_payment: Mapped[str] = mapped_column(String(8), default="quota", server_default="quota")
    slot_deposit: Mapped[int] = mapped_column(default=0, server_default="0")
    retired: Mapped[bool] = mapped_column(default=False)  # kept for history; no longer offered to stations


class Station(db.Model):
    __tablename__ = "stations"
    __table_args__ = (
        CheckConstraint("latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180",
                        name="coordinates"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(255), default="")
    latitude: Mapped[float]
    longitude: Mapped[float]
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # {"mon": [["08:00", "22:00"]], ..., "sun": [["18:00", "02:00"]]}; absent day = closed.
    # An end at or before its start runs past midnight; ["00:00", "24:00"] is all day.
    opening_hours: Mapped[dict] = mapped_column(JSON, default=dict)
    always_open: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default="active")
    tariff_id: Mapped[int | None] = mapped_column(ForeignKey("tariffs.id"))
    solar_kw: Mapped[float | None]
    # Smart charging (services/charging/smart.py): the sum of the sessions' limits never exceeds
    # power_limit_kw (None: no limit); power_schedule [["HH:MM", "HH:MM", kW], ...] lowers it for a time of
    # day in the station's zone (an end at or before its start runs past midnight); standard_kw is what a
    # Standard-mode session may draw (None: the connector's full power).
    power_limit_kw: Mapped[float | None]
    power_schedule: Mapped[list | None] = mapped_column(JSON(none_as_null=True))
    standard_kw: Mapped[float | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    tariff: Mapped[Tariff | None] = relationship(lazy="joined")
    chargers = relationship("Charger", back_populates="station", order_by="Charger.charge_point_id")
