"""OCPP charge points and their connectors."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..timeutil import utcnow
from .types import UTCDateTime

CONNECTOR_STATUSES = (
    "Available", "Preparing", "Charging", "SuspendedEV", "SuspendedEVSE",
    "Finishing", "Reserved", "Unavailable", "Faulted",
)
REGISTRATION_STATUSES = ("Accepted", "Pending", "Rejected")
# HTTP Basic passwords (OCPP security profile 1): the 1.6 security whitepaper's AuthorizationKey is 16 to 20
# bytes, and stock firmware such as MicroOcpp refuses a longer key (services/fleet/charger_passwords.py).
PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH = 16, 20
# A slow hash (werkzeug's scrypt, ~50-95 ms of CPU) protects a guessable secret from offline guessing. A key
# we generated is ~117 random bits: no guessing reaches it, and stretching would only cost every first
# handshake on a node that same CPU (a reconnect storm of 10,000 chargers: 500-950 CPU-seconds). One
# salted HMAC-SHA256 round (pbkdf2 with 1 iteration) is what such keys get.
GENERATED_KEY_METHOD = "pbkdf2:sha256:1"


def password_hash(password: str, generated: bool = False) -> str:
    return generate_password_hash(password, method=GENERATED_KEY_METHOD) if generated else \
        generate_password_hash(password)


class Charger(db.Model):
    __tablename__ = "chargers"

    id: Mapped[int] = mapped_column(primary_key=True)
    charge_point_id: Mapped[str] = mapped_column(String(48), unique=True)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id"))
    vendor: Mapped[str | None] = mapped_column(String(20))
    model: Mapped[str | None] = mapped_column(String(20))
    serial_number: Mapped[str | None] = mapped_column(String(25))
    firmware_version: Mapped[str | None] = mapped_column(String(50))
    registration_status: Mapped[str] = mapped_column(String(16), default="Accepted")
    password_hash: Mapped[str | None] = mapped_column(String(256))
    # The password is outside 16-20 characters (set before that rule): it still works, the console asks
    # staff to replace it, and the next one set or generated clears this.
    password_outdated: Mapped[bool] = mapped_column(default=False, server_default=false())
    heartbeat_interval: Mapped[int] = mapped_column(default=300)
    supports_reservation: Mapped[bool] = mapped_column(default=False)
    # The Smart Charging keys GetConfiguration answered after the last accepted boot ({key: value}; keys
    # the charger does not know are absent). None: not read yet (services/charging/smart.py).
    smart_config: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    # The ChargePointMaxProfile of ours the charger accepted (kW; None: none of ours in force).
    max_limit_kw: Mapped[float | None]
    last_seen: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_boot: Mapped[datetime | None] = mapped_column(UTCDateTime)
    online: Mapped[bool] = mapped_column(default=False)
    connection_id: Mapped[str | None] = mapped_column(String(40))  # the socket that holds it now
    node_id: Mapped[str | None] = mapped_column(String(64))  # the process holding that socket
    in_maintenance: Mapped[bool] = mapped_column(default=False)
    retired: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    station = relationship("Station", back_populates="chargers")
    connectors: Mapped[list["Connector"]] = relationship(
        back_populates="charger", order_by="Connector.connector_id", cascade="all, delete-orphan"
    )

    def set_password(self, password: str | None, *, generated: bool = False) -> None:
        """`generated`: a key we made (charger_passwords.generate, ~117 random bits), hashed with a fast salted
        hash; a key staff typed (a factory key) gets the slow default (scrypt)."""
        self.password_hash = password_hash(password, generated) if password else None
        self.password_outdated = bool(password) and not (
            PASSWORD_MIN_LENGTH <= len(password) <= PASSWORD_MAX_LENGTH)

    def check_password(self, password: str | None) -> bool:
        if self.password_hash is None:
            return True
        return password is not None and check_password_hash(self.password_hash, password)

    def connector(self, number: int) -> "Connector | None":
        return next((c for c in self.connectors if c.connector_id == number), None)


class Connector(db.Model):
    __tablename__ = "connectors"
    __table_args__ = (UniqueConstraint("charger_id", "connector_id", name="uq_connectors_charger_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    charger_id: Mapped[int] = mapped_column(ForeignKey("chargers.id", ondelete="CASCADE"))
    connector_id: Mapped[int]  # OCPP connector number, 1..n
    plug_type: Mapped[str] = mapped_column(String(16), default="Type2")
    max_power_kw: Mapped[float] = mapped_column(default=22.0)
    # How the connector is wired: a limit in amperes is kW x 1000 / (voltage x phases).
    phases: Mapped[int] = mapped_column(default=3, server_default="3")
    voltage: Mapped[float] = mapped_column(default=230.0, server_default="230")
    # The TxDefaultProfile of ours the charger accepted for this connector (kW; None: none of ours in force).
    default_limit_kw: Mapped[float | None]
    status: Mapped[str] = mapped_column(String(16), default="Unavailable")
    error_code: Mapped[str | None] = mapped_column(String(32))
    vendor_error_code: Mapped[str | None] = mapped_column(String(50))
    status_info: Mapped[str | None] = mapped_column(String(50))
    status_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the charger's timestamp, as given
    # What orders StatusNotifications: the timestamp, capped at arrival + OCPP_CLOCK_SKEW_SECONDS (a clock in
    # 9999 must not block later ones), and the connection it came by (in one connection, arrival order
    # wins). A BootNotification clears status_order_at: the first status after a boot always applies.
    status_order_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_connection_id: Mapped[str | None] = mapped_column(String(32))

    charger: Mapped[Charger] = relationship(back_populates="connectors")

    @property
    def label(self) -> str:
        return f"{self.charger.charge_point_id} #{self.connector_id}"
