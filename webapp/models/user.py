"""Accounts: drivers, operators and admins."""
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, Table, Column, Integer
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..timeutil import utcnow
from .types import UTCDateTime

ROLES = ("driver", "operator", "admin")

operator_stations = Table(
    "operator_stations",
    db.metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("station_id", Integer, ForeignKey("stations.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16), default="driver")
    active: Mapped[bool] = mapped_column(default=True)
    id_tag: Mapped[str] = mapped_column(String(20), unique=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of every session and remember cookie (get_id); bumped to end them all (services/accounts/signouts.py).
    auth_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    battery_kwh: Mapped[float | None]
    # The IANA zone this staff member reads console times in; None: each station's own time.
    console_timezone: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Loaded on first use (operators' console pages), not with every request's user: most users are drivers.
    stations = relationship("Station", secondary=operator_stations)

    def get_id(self) -> str:
        """What Flask-Login signs into the session and the remember cookie: the id and the current epoch."""
        return f"{self.id}:{self.auth_epoch}"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive (suspended) users
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_staff(self) -> bool:
        return self.role in ("operator", "admin")

    def can_manage(self, station) -> bool:
        """Admins manage every station; operators only the ones assigned to them."""
        if self.role == "admin":
            return True
        return self.role == "operator" and any(s.id == station.id for s in self.stations)
