"""One pydantic model per resource the API answers with (booking, session, station, connector, charger,
payment, balance, token, error). Each is both the schema in /api/openapi.json and, with
`API_VALIDATE_RESPONSES` on (tests), the check of every response; request models live next to their views.

Models are strict (a "1" is not an integer, `true` is not 1) and closed (no unknown fields), so what they
accept is exactly what the document says."""
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from ..services.fleet import availability

MAX_ID = 2**31 - 1
BOOKING_STATUSES = ("HELD", "CONFIRMED", "CHARGING", "FINISHING", "OVERSTAY", "EXPIRED", "NO_SHOW", "CANCELLED",
                    "COMPLETED", "SLOT_HELD", "SCHEDULED")
RESERVATION_STATUSES = ("pending", "Accepted", "Occupied", "Faulted", "Rejected", "Unavailable", "failed", "none",
                        "cancelled")


def no_null_defaults(schema: dict, cls) -> None:
    """An optional field defaults to "absent", not to null: the document must not offer a null it refuses."""
    for prop in schema.get("properties", {}).values():
        if "default" in prop and prop["default"] is None:
            del prop["default"]


class Wire(BaseModel):
    """A JSON object on the wire: strict types, no unknown fields, finite numbers."""
    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False, json_schema_extra=no_null_defaults)


class Query(BaseModel):
    """Query parameters (strings on the wire, typed here); an unknown one is refused, as the document says."""
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, json_schema_extra=no_null_defaults)


def _query_bool(value):
    if isinstance(value, str) and value.lower() in ("true", "1", "false", "0"):
        return value.lower() in ("true", "1")
    if isinstance(value, bool):
        return value
    raise ValueError("must be true or false")


QueryBool = Annotated[bool, BeforeValidator(_query_bool)]
Id = Annotated[int, Field(ge=1, le=MAX_ID, examples=[1])]
DateTime = Annotated[str, Field(json_schema_extra={"format": "date-time"}, description="ISO 8601 with offset")]
Money = Annotated[int, Field(description="integer minor units of `currency` (paise, cents)")]
Currency = Annotated[str, Field(min_length=3, max_length=3)]
Percent = Annotated[float, Field(ge=0, le=100)]
CpId = Annotated[str, Field(min_length=1, max_length=48, pattern=r"^[A-Za-z0-9._\-]+$", examples=["CP-1"],
                            description="the charge point id (as in ws://HOST/ocpp/<id>)")]
ConnectorNumber = Annotated[int, Field(ge=1, le=99, description="OCPP connector number")]
Stars = Annotated[int, Field(ge=1, le=5)]
PaymentMethod = Literal["card", "upi", "wallet", "CARD", "UPI", "WALLET"]


# -- errors ----------------------------------------------------------------------------------------------
class ErrorBody(Wire):
    code: str
    message: str
    details: dict[str, Any]


class Error(Wire):
    """Every error of the API."""
    error: ErrorBody


# -- accounts and tokens ---------------------------------------------------------------------------------
class User(Wire):
    id: Id
    email: str
    name: str
    role: Literal["driver", "operator", "admin"]
    battery_kwh: float | None


class Token(Wire):
    access_token: str
    token_type: Literal["Bearer"]
    expires_in: Annotated[int, Field(description="seconds until the access token expires")]
    expires_at: DateTime
    refresh_token: str
    refresh_expires_at: DateTime
    user: User


# -- bookings and payments -------------------------------------------------------------------------------
ChargingMode = Annotated[Literal["fast", "standard", "solar"], Field(
    description="fast: the connector's full power; standard: the station's lower power; solar: follows the "
                "station's solar surplus, never below solar_floor_kw (standard and solar need a smart-charging "
                "charger)")]
SolarFloorKw = Annotated[float, Field(ge=1.4, le=350, description="solar: the least power (kW) accepted")]


class Booking(Wire):
    id: Id
    status: Literal[BOOKING_STATUSES]
    station_id: Id
    station_name: str
    charger_id: CpId
    connector_id: ConnectorNumber
    created_at: DateTime
    hold_expires_at: DateTime
    hold_seconds_left: Annotated[int, Field(ge=0)] | None
    confirmed_at: DateTime | None
    arrive_by: DateTime | None
    started_at: DateTime | None
    stopped_at: DateTime | None
    exit_by: DateTime | None
    ended_at: DateTime | None
    end_reason: str | None
    quota_kwh: float | None
    charging_mode: ChargingMode
    solar_floor_kw: Annotated[float | None, Field(description="the Solar floor (kW); null for other modes")]
    currency: Currency
    amount_authorised: Money
    amount_captured: Money
    amount_refunded: Money
    idle_fee: Money
    transaction_id: Annotated[int | None, Field(description="the OCPP transaction, once charging started")]
    energy_kwh: float | None
    rating: int | None
    reservation_status: Annotated[Literal[RESERVATION_STATUSES] | None, Field(
        description="the charger's answer to ReserveNow; Occupied, Faulted, Rejected and Unavailable mean the "
                    "connector is not reserved")]
    slot_start: Annotated[DateTime | None, Field(description="a slot booked ahead: its start (null: a hold now)")]
    slot_end: DateTime | None
    free_until: Annotated[DateTime | None, Field(description="a held connector with a slot booked later: charge "
                                                             "until then (max_quota_kwh ends by it)")]
    max_quota_kwh: float | None
    cancel_free_until: Annotated[DateTime | None, Field(description="a slot booked ahead: cancelling it releases "
                                                                    "everything until then; later the session fee "
                                                                    "is kept (the station tariff's policy)")]


class FreeSlot(Wire):
    start: DateTime
    local_time: Annotated[str, Field(description="the start on the station's wall clock, HH:MM")]


class ConnectorSlots(Wire):
    id: Id
    charger_id: CpId
    connector_id: ConnectorNumber
    plug_type: str
    max_power_kw: float
    free: list[FreeSlot]


class StationSlots(Wire):
    station_id: Id
    date: Annotated[str, Field(json_schema_extra={"format": "date"})]
    timezone: str
    duration_minutes: Annotated[int, Field(ge=1)]
    connectors: list[ConnectorSlots]


class Payment(Wire):
    id: Id
    kind: Literal["authorise", "increment", "capture", "refund", "void", "settle"]
    amount: Money
    currency: Currency
    method: str
    status: Literal["succeeded", "declined", "failed", "pending"]
    reference: str | None
    reason: str | None
    created_at: DateTime


# -- sessions (the app's camelCase names) ----------------------------------------------------------------
class Session(Wire):
    id: Annotated[Id, Field(description="the session id: the booking that holds this charge")]
    transactionId: Annotated[int | None, Field(description="the OCPP transaction, once started")]
    userId: Id
    stationId: Id
    stationName: str
    chargerId: CpId
    connectorId: ConnectorNumber
    status: Literal["starting", "active", "completed", "cancelled"]
    bookingStatus: str
    startTime: DateTime | None
    endTime: DateTime | None
    duration: Annotated[int, Field(ge=0, description="minutes")]
    energyDelivered: Annotated[float | None, Field(description="kWh; null when it cannot be known")]
    energySource: Literal["meter", "vehicle", "estimate", "unknown"]
    totalCost: Annotated[int | None, Field(description="minor units; final only when costIsFinal")]
    costIsFinal: bool
    currency: Currency
    averagePower: Annotated[float | None, Field(description="kW")]
    batteryLevel: Percent | None
    batteryLevelStart: Percent | None
    batteryCapacityKwh: Annotated[float | None, Field(description="your vehicle's, from your account")]
    stationRating: Annotated[Stars | None, Field(
        description="as given; it counts for the station once the session is complete")]
    note: Annotated[str | None, Field(description="how energy was obtained, or why it is unknown")]
    chargingMode: ChargingMode
    solarFloorKw: Annotated[float | None, Field(description="the Solar floor (kW); null for other modes")]


# -- stations, connectors, chargers ----------------------------------------------------------------------
class Connector(Wire):
    id: Id
    charger_id: CpId
    connector_id: ConnectorNumber
    plug_type: str
    max_power_kw: float
    status: Annotated[str, Field(description="the OCPP status the charger last reported")]
    state: Annotated[Literal[tuple(availability.STATE_LABELS)], Field(
        description="what a driver sees; only `available` can be booked now")]
    label: str
    bookable: bool


class Availability(Wire):
    available: Annotated[int, Field(ge=0, description="bookable right now")]
    total: Annotated[int, Field(ge=0)]


class Tariff(Wire):
    currency: Currency
    price_per_kwh: Money
    price_per_minute: Money
    session_fee: Money
    idle_fee_per_minute: Money


class OpeningHours(Wire):
    day: str
    hours: str


class Rating(Wire):
    average: float
    count: int


class Station(Wire):
    id: Id
    name: str
    address: str
    latitude: float
    longitude: float
    timezone: str
    status: Literal["active", "maintenance"]
    is_open: bool
    opening_hours: list[OpeningHours]
    availability: Availability
    plug_types: list[str]
    max_power_kw: float
    distance_km: Annotated[float | None, Field(description="only when lat and lon are given")]
    rating: Rating | None
    tariff: Tariff | None


class StationDetail(Station):
    connectors: list[Connector]
    server_time: DateTime


class ChargerConnector(Wire):
    connector_id: ConnectorNumber
    status: str
    error_code: str | None
    status_at: DateTime | None


class Charger(Wire):
    charger_id: CpId
    station_id: Id | None
    online: bool
    connected: Annotated[bool, Field(description="an OCPP socket is open right now")]
    registration_status: str
    heartbeat_interval: int
    last_seen: DateTime | None
    seconds_since_seen: Annotated[int, Field(ge=0)] | None
    connectors: list[ChargerConnector]
    server_time: DateTime


# -- balance ---------------------------------------------------------------------------------------------
class BalanceEntry(Wire):
    booking_id: Id | None
    kind: Literal["owed"]
    amount: Money
    paid: Money
    waived: Money
    due: Money
    ended_at: DateTime | None


class Balance(Wire):
    outstanding: Annotated[int, Field(description="what you owe; it blocks booking until paid")]
    currency: Currency
    entries: list[BalanceEntry]


class Headers(BaseModel):
    """Request headers: every header arrives, only the declared ones are read."""
    model_config = ConfigDict(extra="ignore")


def examples(*items: dict, **extra) -> ConfigDict:
    """A model config adding request examples (what schemathesis tries first) and other schema keywords."""

    def extend(schema: dict, cls) -> None:
        no_null_defaults(schema, cls)
        schema.update(**({"examples": list(items)} if items else {}), **extra)

    return ConfigDict(json_schema_extra=extend)
