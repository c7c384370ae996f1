"""Stations, chargers and connectors: creating, changing and retiring them (with validation)."""
import re

from flask import current_app
from sqlalchemy import func, select

from ... import params
from ...extensions import db
from ...models import Booking, Charger, ChargingSession, Connector, MeterSample, Station, Tariff
from ..charging import stuck
from . import charger_passwords, hours
from ..platform import notifications
from ..errors import Conflict, InvalidInput, NotFound
from ..booking.releases import release

CP_ID = re.compile(r"^[A-Za-z0-9._\-]{1,48}$")
PLUG_TYPES = ("Type2", "CCS2", "CHAdeMO", "Type1", "GB/T", "Bharat AC-001", "Bharat DC-001")
REGISTRATION_STATUSES = ("Accepted", "Pending", "Rejected")
BUSY_STATUSES = ("CHARGING", "FINISHING", "OVERSTAY")


# -- form values -----------------------------------------------------------------------------------------
def _number(data, name: str, label: str, low: float, high: float, required: bool = True) -> float | None:
    raw = str(data.get(name) or "").strip()
    if not raw:
        if required:
            raise InvalidInput(f"{label} is required.", {"field": name})
        return None
    try:
        value = float(raw)
    except ValueError:
        raise InvalidInput(f"{label} must be a number.", {"field": name})
    if value != value or not low <= value <= high:  # NaN fails the first test
        raise InvalidInput(f"{label} must be between {low:g} and {high:g}.", {"field": name})
    return value


def _integer(data, name: str, label: str, low: int, high: int) -> int:
    value = _number(data, name, label, low, high)
    if value != int(value):
        raise InvalidInput(f"{label} must be a whole number.", {"field": name})
    return int(value)


def _flag(data, name: str) -> bool:
    return str(data.get(name) or "").lower() in ("1", "on", "true", "yes")


def _tariff(data) -> Tariff | None:
    raw = str(data.get("tariff_id") or "").strip()
    if not raw:
        return None
    tariff_id = params.bounded_int(raw, "tariff_id")
    tariff = db.session.get(Tariff, tariff_id) if tariff_id is not None else None
    if tariff is None:
        raise InvalidInput("Choose an existing tariff.", {"field": "tariff_id"})
    return tariff


def station_values(data) -> dict:
    """Validate a station form: name, address, coordinates, IANA timezone, weekly hours, tariff, solar."""
    name = str(data.get("name") or "").strip()
    if not name or len(name) > 120:
        raise InvalidInput("Name is required (at most 120 characters).", {"field": "name"})
    address = str(data.get("address") or "").strip()
    if len(address) > 255:
        raise InvalidInput("Address is at most 255 characters.", {"field": "address"})
    always_open = _flag(data, "always_open")
    opening = hours.parse_hours({day: data.get(f"hours_{day}", "") for day in hours.DAYS})
    if not always_open and not opening:
        raise InvalidInput("Give opening hours for at least one day, or tick open 24/7.", {"field": "hours"})
    return {
        "name": name, "address": address,
        "latitude": _number(data, "latitude", "Latitude", -90, 90),
        "longitude": _number(data, "longitude", "Longitude", -180, 180),
        "timezone": hours.validate_timezone(str(data.get("timezone") or "").strip()),
        "always_open": always_open, "opening_hours": {} if always_open else opening,
        "tariff": _tariff(data),
        "solar_kw": _number(data, "solar_kw", "Solar capacity (kW)", 0, 10000, required=False),
    }


# -- stations ------------------------------------------------------------------------------------------
def create_station(data) -> Station:
    """Create an active station from form values; raises InvalidInput naming the bad field."""
    values = station_values(data)
    if values["tariff"] is not None and values["tariff"].retired:
        raise InvalidInput("That tariff is retired; choose another.", {"field": "tariff_id"})
    station = Station(status="active", **values)
    db.session.add(station)
    db.session.commit()
    return station


def update_station(station: Station, data) -> Station:
    """Change a station's details; a retired tariff may stay but cannot be newly chosen."""
    values = station_values(data)
    if values["tariff"] is not None and values["tariff"].retired and values["tariff"] is not station.tariff:
        raise InvalidInput("That tariff is retired; choose another.", {"field": "tariff_id"})
    for key, value in values.items():
        setattr(station, key, value)
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
    """Retire a station: hidden from drivers, bookings not yet started are cancelled and refunded."""
    if station.status == "retired":
        raise Conflict("This station is already retired.")
    cancelled, _ = _take_out_of_service([c.id for ch in station.chargers for c in ch.connectors],
                                        f"Station {station.name}")
    station.status = "retired"
    db.session.commit()
    return cancelled


def reinstate_station(station: Station) -> Station:
    """Bring a retired station back into service."""
    if station.status != "retired":
        raise Conflict("Only a retired station can be reinstated.")
    station.status = "active"
    db.session.commit()
    return station


# -- chargers ------------------------------------------------------------------------------------------
def add_charger(station_id: int, cp_id: str, connectors: int = 2, power_kw: float = 22.0,
                plug: str = "Type2", supports_reservation: bool = True,
                password: str | None = None) -> tuple[Charger, str]:
    """Create a charger with its connectors and its OCPP password: `password` (16-20 characters), else a
    generated one (returned once)."""
    station = db.session.get(Station, station_id)
    if station is None:
        raise NotFound("No such station.")
    if station.status == "retired":
        raise Conflict("This station is retired; reinstate it first.")
    cp_id = (cp_id or "").strip()
    if not CP_ID.match(cp_id):
        raise InvalidInput("Charge point id: 1-48 letters, digits, '.', '_' or '-'.", {"field": "cp_id"})
    if not 1 <= connectors <= 8:
        raise InvalidInput("A charger has 1 to 8 connectors.", {"field": "connectors"})
    if not 1 <= power_kw <= 400:
        raise InvalidInput("Power must be between 1 and 400 kW.", {"field": "power_kw"})
    if plug not in PLUG_TYPES:
        raise InvalidInput(f"Plug type must be one of {', '.join(PLUG_TYPES)}.", {"field": "plug"})
    if db.session.execute(select(Charger.id).where(Charger.charge_point_id == cp_id)).first():
        raise Conflict(f"A charger with id {cp_id} already exists.", {"field": "cp_id"})
    password = charger_passwords.generate() if password is None else charger_passwords.validate(password)
    charger = Charger(charge_point_id=cp_id, station=station, registration_status="Accepted",
                      supports_reservation=supports_reservation)
    charger.heartbeat_interval = current_app.config["HEARTBEAT_INTERVAL"]
    charger.set_password(password)
    for n in range(1, connectors + 1):
        charger.connectors.append(Connector(connector_id=n, plug_type=plug, max_power_kw=power_kw))
    db.session.add(charger)
    db.session.commit()
    return charger, password


def add_charger_from_form(station: Station, data) -> tuple[Charger, str]:
    """add_charger with the values of the console form."""
    connectors = _integer(data, "connectors", "Connectors", 1, 8)
    power = _number(data, "power_kw", "Power (kW)", 1, 400)
    return add_charger(station.id, str(data.get("cp_id") or ""), connectors, power,
                       str(data.get("plug") or "Type2"), _flag(data, "supports_reservation"))


def update_charger(charger: Charger, data, allowed_station_ids: set[int] | None) -> Charger:
    """Change a charger's station, heartbeat interval, reservation support and registration status.

    `allowed_station_ids` None means any station (admins)."""
    station_id = str(data.get("station_id") or "").strip()
    number = params.bounded_int(station_id, "station_id")
    station = db.session.get(Station, number) if number is not None else None
    if station is None or (allowed_station_ids is not None and station.id not in allowed_station_ids):
        raise InvalidInput("Choose one of your stations.", {"field": "station_id"})
    interval = _integer(data, "heartbeat_interval", "Heartbeat interval (s)", 10, 86400)
    status = str(data.get("registration_status") or "")
    if status not in REGISTRATION_STATUSES:
        raise InvalidInput("Registration must be Accepted, Pending or Rejected.", {"field": "registration_status"})
    charger.station = station
    charger.heartbeat_interval = int(interval)
    charger.supports_reservation = _flag(data, "supports_reservation")
    charger.registration_status = status
    db.session.commit()
    return charger


def new_charger_password(charger: Charger) -> str:
    """Replace the charger's OCPP password with a generated one, returned once."""
    password = charger_passwords.generate()
    charger.set_password(password)
    db.session.commit()
    return password


def set_charger_password(charger: Charger, password: str | None) -> None:
    """Set the password a charger's firmware came with (16-20 printable ASCII; else InvalidInput)."""
    charger.set_password(charger_passwords.validate(password))
    db.session.commit()


def retire_charger(charger: Charger) -> tuple[int, int]:
    """Take a charger out of service for good: bookings not yet started are cancelled and refunded, running
    ones force-finished from their last reading. Returns (cancelled, finished)."""
    if charger.retired:
        raise Conflict("This charger is already retired.")
    counts = _take_out_of_service([c.id for c in charger.connectors], f"Charger {charger.charge_point_id}",
                                  finish_running=True)
    charger.retired = True
    db.session.commit()
    return counts


def reinstate_charger(charger: Charger) -> Charger:
    """Bring a retired charger back."""
    if not charger.retired:
        raise Conflict("Only a retired charger can be reinstated.")
    charger.retired = False
    db.session.commit()
    return charger


# -- connectors ----------------------------------------------------------------------------------------
def connector_values(data) -> dict:
    """Validate plug type and power."""
    plug = str(data.get("plug_type") or "")
    if plug not in PLUG_TYPES:
        raise InvalidInput(f"Plug type must be one of {', '.join(PLUG_TYPES)}.", {"field": "plug_type"})
    return {"plug_type": plug, "max_power_kw": _number(data, "max_power_kw", "Power (kW)", 1, 400)}


def add_connector(charger: Charger, data) -> Connector:
    """Add the next connector number to a charger."""
    values = connector_values(data)
    if len(charger.connectors) >= 8:
        raise Conflict("A charger has at most 8 connectors.")
    number = max((c.connector_id for c in charger.connectors), default=0) + 1
    connector = Connector(charger=charger, connector_id=number, status="Unavailable", **values)
    db.session.add(connector)
    db.session.commit()
    return connector


def update_connector(connector: Connector, data) -> Connector:
    """Change a connector's plug type and power."""
    for key, value in connector_values(data).items():
        setattr(connector, key, value)
    db.session.commit()
    return connector


def remove_connector(connector: Connector) -> None:
    """Delete a connector that has never been booked or used; with history, take it out of service instead."""
    used = any(db.session.execute(select(func.count()).select_from(model).where(model.connector_id == connector.id))
               .scalar_one() for model in (Booking, ChargingSession, MeterSample))
    if used:
        raise Conflict(f"{connector.label} has bookings or sessions on record and cannot be deleted; "
                       "make it Inoperative with ChangeAvailability, or retire the charger.")
    db.session.delete(connector)
    db.session.commit()
