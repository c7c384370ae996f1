"""Stations, chargers and connectors: creating, changing and retiring them (with validation)."""
import re
from dataclasses import asdict, dataclass, field

from flask import current_app
from sqlalchemy import func, select

from ... import params
from ...extensions import db
from ...models import Booking, Charger, ChargingSession, Connector, MeterSample, Station, Tariff
from ..charging import stuck
from . import charger_passwords, hours
from ..platform import audit, notifications, timers
from ..errors import Conflict, InvalidInput, NotFound
from ..booking.releases import release

CP_ID = re.compile(r"^[A-Za-z0-9._\-]{1,48}$")
PLUG_TYPES = ("Type2", "CCS2", "CHAdeMO", "Type1", "GB/T", "Bharat AC-001", "Bharat DC-001")
REGISTRATION_STATUSES = ("Accepted", "Pending", "Rejected")
BUSY_STATUSES = ("CHARGING", "FINISHING", "OVERSTAY")


#: What the audit log keeps of each row, before and after a change.
STATION_FIELDS = ("name", "address", "latitude", "longitude", "timezone", "opening_hours", "always_open",
                  "status", "tariff_id", "solar_kw", "power_limit_kw", "power_schedule", "standard_kw")
#: The fields smart charging plans with: a change re-plans the station's sessions.
POWER_FIELDS = ("power_limit_kw", "power_schedule", "standard_kw")
CHARGER_FIELDS = ("charge_point_id", "station_id", "heartbeat_interval", "supports_reservation",
                  "registration_status", "retired")
CONNECTOR_FIELDS = ("charger_id", "connector_id", "plug_type", "max_power_kw", "phases", "voltage")


@dataclass(frozen=True)
class StationDetails:
    """A station's editable details, typed: coordinates in degrees, hours as `hours.parse_hours` gives them."""
    name: str
    address: str
    latitude: float
    longitude: float
    timezone: str
    always_open: bool = False
    opening_hours: dict = field(default_factory=dict)
    tariff_id: int | None = None
    solar_kw: float | None = None
    power_limit_kw: float | None = None  # None: no limit
    power_schedule: list | None = None  # power_limits.parse_schedule's windows
    standard_kw: float | None = None


def _details(details: StationDetails, current_tariff_id: int | None = None) -> dict:
    """The columns to store; raises InvalidInput for what only the service knows (timezone, tariff, hours)."""
    hours.validate_timezone(details.timezone)
    if not details.always_open and not details.opening_hours:
        raise InvalidInput("Give opening hours for at least one day, or tick open 24/7.", {"field": "hours"})
    tariff = None
    if details.tariff_id is not None:
        tariff = db.session.get(Tariff, details.tariff_id) if abs(details.tariff_id) <= params.DB_INT_MAX else None
        if tariff is None:
            raise InvalidInput("Choose an existing tariff.", {"field": "tariff_id"})
        if tariff.retired and tariff.id != current_tariff_id:
            raise InvalidInput("That tariff is retired; choose another.", {"field": "tariff_id"})
    values = asdict(details)
    values.pop("tariff_id")
    return dict(values, tariff=tariff, opening_hours={} if details.always_open else details.opening_hours)


# -- stations ------------------------------------------------------------------------------------------
def create_station(details: StationDetails) -> Station:
    """Create an active station; raises InvalidInput naming the bad field. Audited."""
    station = Station(status="active", **_details(details))
    db.session.add(station)
    db.session.flush()
    audit.log("station.create", "station", station.id, None, audit.snapshot(station, STATION_FIELDS))
    db.session.commit()
    return station


def update_station(station: Station, details: StationDetails) -> Station:
    """Change a station's details; a retired tariff may stay but cannot be newly chosen. Audited."""
    values = _details(details, station.tariff_id)
    before = audit.snapshot(station, STATION_FIELDS)
    for key, value in values.items():
        setattr(station, key, value)
    db.session.flush()
    after = audit.snapshot(station, STATION_FIELDS)
    audit.log("station.update", "station", station.id, before, after)
    if any(before.get(k) != after.get(k) for k in POWER_FIELDS):
        timers.enqueue("jobs.smart.rebalance", station.id)  # the live sessions follow the new limit
    db.session.commit()
    return station


def _live_bookings(connector_ids: list[int]) -> list[Booking]:
    if not connector_ids:
        return []
    return list(db.session.execute(select(Booking).where(
        Booking.connector_id.in_(connector_ids), Booking.status.in_(("HELD", "CONFIRMED") + BUSY_STATUSES))
        .with_for_update()).scalars())


def _take_out_of_service(connector_ids: list[int], what: str, finish_running: bool = False) -> tuple[int, int]:
    """Cancel (and refund) bookings that have not started; running ones are force-finished when
    `finish_running` (settled from the last reading, services/charging/stuck.py), else refused.
    Returns (cancelled, finished)."""
    live = _live_bookings(connector_ids)
    busy = [b for b in live if b.status in BUSY_STATUSES]
    if busy and not finish_running:
        raise Conflict(f"{what} has {len(busy)} session(s) in progress; wait until they end.")
    for booking in busy:
        stuck.finish(booking, f"{what} taken out of service")
    waiting = [b for b in live if b not in busy]
    for booking in waiting:
        release(booking, "CANCELLED", f"{what} taken out of service")
        notifications.notify(booking.user_id, "booking_cancelled", "Booking cancelled",
                             f"{booking.connector.label} was taken out of service. Your payment was released.",
                             link=f"/bookings/{booking.id}")
    return len(waiting), len(busy)


def retire_station(station: Station) -> int:
    """Retire a station: hidden from drivers, bookings not yet started are cancelled and refunded. Audited."""
    if station.status == "retired":
        raise Conflict("This station is already retired.")
    before = audit.snapshot(station, STATION_FIELDS)
    cancelled, _ = _take_out_of_service([c.id for ch in station.chargers for c in ch.connectors],
                                        f"Station {station.name}")
    station.status = "retired"
    audit.log("station.retire", "station", station.id, before,
              dict(audit.snapshot(station, STATION_FIELDS), bookings_cancelled=cancelled))
    db.session.commit()
    return cancelled


def reinstate_station(station: Station) -> Station:
    """Bring a retired station back into service. Audited."""
    if station.status != "retired":
        raise Conflict("Only a retired station can be reinstated.")
    before = audit.snapshot(station, STATION_FIELDS)
    station.status = "active"
    audit.log("station.reinstate", "station", station.id, before, audit.snapshot(station, STATION_FIELDS))
    db.session.commit()
    return station


# -- chargers ------------------------------------------------------------------------------------------
def add_charger(station_id: int, cp_id: str, connectors: int = 2, power_kw: float = 22.0,
                plug: str = "Type2", supports_reservation: bool = True,
                password: str | None = None) -> tuple[Charger, str]:
    """Create a charger with its connectors and its OCPP password: `password` (16-20 characters), else a
    generated one (returned once). Audited (console or CLI)."""
    station = db.session.get(Station, station_id)
    if station is None:
        raise NotFound("No such station.")
    if station.status == "retired":
        raise Conflict("This station is retired; reinstate it first.")
    cp_id = (cp_id or "").strip()
    if not CP_ID.match(cp_id):
        raise InvalidInput("Charge point id: 1-48 letters, digits, '.', '_' or '-'.", {"field": "cp_id"})
    if not 1 <= connectors <= 8:
        raise InvalidInput("Connectors must be between 1 and 8.", {"field": "connectors"})
    if not 1 <= power_kw <= 400:  # NaN fails too
        raise InvalidInput("Power (kW) must be between 1 and 400.", {"field": "power_kw"})
    if plug not in PLUG_TYPES:
        raise InvalidInput(f"Plug type must be one of {', '.join(PLUG_TYPES)}.", {"field": "plug"})
    if db.session.execute(select(Charger.id).where(Charger.charge_point_id == cp_id)).first():
        raise Conflict(f"A charger with id {cp_id} already exists.", {"field": "cp_id"})
    generated = password is None
    password = charger_passwords.generate() if generated else charger_passwords.validate(password)
    charger = Charger(charge_point_id=cp_id, station=station, registration_status="Accepted",
                      supports_reservation=supports_reservation)
    charger.heartbeat_interval = current_app.config["HEARTBEAT_INTERVAL"]
    charger.set_password(password, generated=generated)
    for n in range(1, connectors + 1):
        charger.connectors.append(Connector(connector_id=n, plug_type=plug, max_power_kw=power_kw))
    db.session.add(charger)
    db.session.flush()
    audit.log("charger.create", "charger", charger.id, None,
              dict(audit.snapshot(charger, CHARGER_FIELDS), connectors=connectors))
    db.session.commit()
    return charger, password


def update_charger(charger: Charger, *, station_id: int, heartbeat_interval: int, supports_reservation: bool,
                   registration_status: str, allowed_station_ids: set[int] | None) -> Charger:
    """Change a charger's station, heartbeat interval, reservation support and registration status. Audited.

    `allowed_station_ids` None means any station (admins)."""
    station = db.session.get(Station, station_id) if abs(station_id) <= params.DB_INT_MAX else None
    if station is None or (allowed_station_ids is not None and station.id not in allowed_station_ids):
        raise InvalidInput("Choose one of your stations.", {"field": "station_id"})
    if not 10 <= heartbeat_interval <= 86400:
        raise InvalidInput("Heartbeat interval (seconds) must be between 10 and 86400.",
                           {"field": "heartbeat_interval"})
    if registration_status not in REGISTRATION_STATUSES:
        raise InvalidInput("Registration must be Accepted, Pending or Rejected.", {"field": "registration_status"})
    before = audit.snapshot(charger, CHARGER_FIELDS)
    charger.station = station
    charger.heartbeat_interval = heartbeat_interval
    charger.supports_reservation = supports_reservation
    charger.registration_status = registration_status
    db.session.flush()
    audit.log("charger.update", "charger", charger.id, before, audit.snapshot(charger, CHARGER_FIELDS))
    db.session.commit()
    return charger


def set_charger_password(charger: Charger, password: str | None) -> None:
    """Set the password a charger's firmware came with (16-20 printable ASCII; else InvalidInput). Audited,
    never echoed."""
    charger.set_password(charger_passwords.validate(password))
    audit.log("charger.password_set", "charger", charger.id)
    db.session.commit()


def retire_charger(charger: Charger) -> tuple[int, int]:
    """Take a charger out of service for good: bookings not yet started are cancelled and refunded, running
    ones force-finished from their last reading. Returns (cancelled, finished)."""
    if charger.retired:
        raise Conflict("This charger is already retired.")
    before = audit.snapshot(charger, CHARGER_FIELDS)
    cancelled, finished = _take_out_of_service([c.id for c in charger.connectors],
                                               f"Charger {charger.charge_point_id}", finish_running=True)
    charger.retired = True
    audit.log("charger.retire", "charger", charger.id, before, dict(
        audit.snapshot(charger, CHARGER_FIELDS), bookings_cancelled=cancelled, sessions_finished=finished))
    db.session.commit()
    return cancelled, finished


def reinstate_charger(charger: Charger) -> Charger:
    """Bring a retired charger back. Audited."""
    if not charger.retired:
        raise Conflict("Only a retired charger can be reinstated.")
    before = audit.snapshot(charger, CHARGER_FIELDS)
    charger.retired = False
    audit.log("charger.reinstate", "charger", charger.id, before, audit.snapshot(charger, CHARGER_FIELDS))
    db.session.commit()
    return charger


# -- connectors ----------------------------------------------------------------------------------------
def _plug(plug_type: str, power_kw: float) -> None:
    if plug_type not in PLUG_TYPES:
        raise InvalidInput(f"Plug type must be one of {', '.join(PLUG_TYPES)}.", {"field": "plug_type"})
    if not 1 <= power_kw <= 400:
        raise InvalidInput("Power (kW) must be between 1 and 400.", {"field": "max_power_kw"})


def _wiring(phases: int | None, voltage: float | None) -> None:
    if phases is not None and phases not in (1, 3):
        raise InvalidInput("Phases must be 1 or 3.", {"field": "phases"})
    if voltage is not None and not 100 <= voltage <= 480:
        raise InvalidInput("Volts per phase must be between 100 and 480.", {"field": "voltage"})


def add_connector(charger: Charger, plug_type: str, max_power_kw: float, phases: int | None = None,
                  voltage: float | None = None) -> Connector:
    """Add the next connector number to a charger (wired 3 x 230 V unless told). Audited."""
    _plug(plug_type, max_power_kw)
    _wiring(phases, voltage)
    if len(charger.connectors) >= 8:
        raise Conflict("A charger has at most 8 connectors.")
    number = max((c.connector_id for c in charger.connectors), default=0) + 1
    connector = Connector(charger=charger, connector_id=number, status="Unavailable", plug_type=plug_type,
                          max_power_kw=max_power_kw, phases=phases or 3, voltage=voltage or 230.0)
    db.session.add(connector)
    db.session.flush()
    audit.log("connector.create", "connector", connector.id, None, audit.snapshot(connector, CONNECTOR_FIELDS))
    db.session.commit()
    return connector


def update_connector(connector: Connector, plug_type: str, max_power_kw: float, phases: int | None = None,
                     voltage: float | None = None) -> Connector:
    """Change a connector's plug type, power and (when given) wiring. Audited."""
    _plug(plug_type, max_power_kw)
    _wiring(phases, voltage)
    before = audit.snapshot(connector, CONNECTOR_FIELDS)
    connector.plug_type, connector.max_power_kw = plug_type, max_power_kw
    connector.phases = phases or connector.phases
    connector.voltage = voltage or connector.voltage
    db.session.flush()
    audit.log("connector.update", "connector", connector.id, before, audit.snapshot(connector, CONNECTOR_FIELDS))
    db.session.commit()
    return connector


def remove_connector(connector: Connector) -> None:
    """Delete a connector that has never been booked or used; with history, take it out of service instead.
    Audited."""
    used = any(db.session.execute(select(func.count()).select_from(model).where(model.connector_id == connector.id))
               .scalar_one() for model in (Booking, ChargingSession, MeterSample))
    if used:
        raise Conflict(f"{connector.label} has bookings or sessions on record and cannot be deleted; "
                       "make it Inoperative with ChangeAvailability, or retire the charger.")
    audit.log("connector.delete", "connector", connector.id, audit.snapshot(connector, CONNECTOR_FIELDS), None)
    db.session.delete(connector)
    db.session.commit()
