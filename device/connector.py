"""State of one simulated connector and the OCPP status it implies.

A connector sits behind a door that is locked at rest. Authorising a driver (remote
start or card swipe) unlocks it; the EV is plugged in; the transaction runs; when it
stops the door opens and the connector stays Finishing until the cable is out and the
door is closed again.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timezone

from ocpp.v16.enums import ChargePointErrorCode, ChargePointStatus

from device.meter import MeterFormat, sampled_values
from device.physics import EV, Meter


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def iso(when: datetime | None = None) -> str:
    """ISO 8601 UTC with milliseconds and a ``Z`` suffix, as OCPP wants it."""
    when = (when or utc_now()).astimezone(timezone.utc)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Reservation:
    reservation_id: int
    id_tag: str
    expiry: datetime
    timer: asyncio.Task | None = None


@dataclass
class Connector:
    """Everything physical and transactional about one connector."""

    connector_id: int
    max_power_kw: float
    meter: Meter = field(default_factory=Meter)
    meter_format: MeterFormat = field(default_factory=MeterFormat)
    door_locked: bool = True
    cable_plugged: bool = False
    ev: EV | None = None
    status: str = ChargePointStatus.available
    error_code: str = ChargePointErrorCode.no_error
    operative: bool = True
    # Transaction (transaction_id < 0 is a local placeholder until the server answers).
    transaction_id: int | None = None
    id_tag: str | None = None
    meter_start: int = 0
    started_at: datetime | None = None
    remote_started: bool = False
    power_kw: float = 0.0
    limit_kw: float | None = None  # what the charging profiles allow now (None: no limit)
    last_tick: float = 0.0
    # A driver who is authorised here but has no transaction yet.
    authorized_tag: str | None = None
    authorized_reservation: int | None = None
    authorized_remote: bool = False
    reservation: Reservation | None = None
    finishing: bool = False

    @property
    def busy(self) -> bool:
        """Someone is using it: a transaction, an authorised driver, a cable or an unfinished session."""
        return (self.transaction_id is not None or self.authorized_tag is not None
                or self.cable_plugged or self.finishing)

    @property
    def faulted(self) -> bool:
        return self.error_code != ChargePointErrorCode.no_error

    def settle(self) -> None:
        """End the Finishing phase once the cable is out and the door is closed."""
        if self.finishing and not self.cable_plugged and self.door_locked:
            self.finishing = False

    def derive_status(self) -> str:
        """The OCPP status this physical state should be reported as."""
        self.settle()
        if self.faulted:
            return ChargePointStatus.faulted
        if self.transaction_id is not None:
            if self.ev is None or self.ev.full or not self.cable_plugged:
                return ChargePointStatus.suspended_ev
            if self.limit_kw is not None and self.limit_kw <= 0:
                return ChargePointStatus.suspended_evse  # a charging profile holds it at 0
            return ChargePointStatus.charging
        if not self.operative:
            return ChargePointStatus.unavailable
        if self.finishing:
            return ChargePointStatus.finishing
        if self.authorized_tag is not None or self.cable_plugged:
            return ChargePointStatus.preparing
        if self.reservation is not None:
            return ChargePointStatus.reserved
        return ChargePointStatus.available

    def available_kw(self) -> float:
        """What the connector may give now: its hardware maximum under the charging profiles' limit."""
        return self.max_power_kw if self.limit_kw is None else max(0.0, min(self.max_power_kw, self.limit_kw))

    def meter_value(self, context: str = "Sample.Periodic", when: datetime | None = None) -> dict:
        """One OCPP MeterValue (camelCase, strings) for the current reading in the connector's meter format,
        stamped ``when`` (default now)."""
        soc = None if self.ev is None else self.ev.soc
        samples = sampled_values(self.meter_format, self.meter.register, int(round(self.power_kw * 1000)), soc,
                                 context)
        return {"timestamp": iso(when), "sampledValue": samples}

    def snapshot(self) -> dict:
        """A plain-dict copy of the state, safe to hand to another thread."""
        return {
            "connector_id": self.connector_id, "status": str(self.status),
            "error_code": str(self.error_code), "door_locked": self.door_locked,
            "cable_plugged": self.cable_plugged, "operative": self.operative,
            "transaction_id": self.transaction_id, "id_tag": self.id_tag,
            "meter_wh": self.meter.register, "meter_start": self.meter_start,
            "power_kw": round(self.power_kw, 3),
            "limit_kw": None if self.limit_kw is None else round(self.limit_kw, 3),
            "soc": None if self.ev is None else round(self.ev.soc, 2),
            "remote_started": self.remote_started, "authorized_tag": self.authorized_tag,
            "finishing": self.finishing,
            "reservation_id": self.reservation.reservation_id if self.reservation else None,
            "reservation_id_tag": self.reservation.id_tag if self.reservation else None,
        }
