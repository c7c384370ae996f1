"""Stations: list with open/closed, availability and distance; details; a lightweight status for polling."""
from ..services.fleet import availability, geo, hours, station_status
from ..services.fleet.stations import PLUG_TYPES
from ..timeutil import iso, utcnow
from .blueprint import bp
from .schema import CP_ID, CONNECTOR_NUMBER, CURRENCY, DATETIME, ID, MONEY, endpoint, nullable, obj

CONNECTOR = obj({
    "id": ID, "charger_id": CP_ID, "connector_id": CONNECTOR_NUMBER,
    "plug_type": {"type": "string"}, "max_power_kw": {"type": "number"},
    "status": {"type": "string", "description": "the OCPP status the charger last reported"},
    "state": {"type": "string", "enum": list(availability.STATE_LABELS),
              "description": "what a driver sees; only `available` can be booked now"},
    "label": {"type": "string"}, "bookable": {"type": "boolean"},
}, required=("id", "charger_id", "connector_id", "plug_type", "max_power_kw", "status", "state", "label",
             "bookable"))
AVAILABILITY = obj({"available": {"type": "integer", "minimum": 0, "description": "bookable right now"},
                    "total": {"type": "integer", "minimum": 0}}, required=("available", "total"))
TARIFF = nullable(obj({"currency": CURRENCY, "price_per_kwh": MONEY, "price_per_minute": MONEY,
                       "session_fee": MONEY, "idle_fee_per_minute": MONEY},
                      required=("currency", "price_per_kwh", "price_per_minute", "session_fee",
                                "idle_fee_per_minute")))
HOURS = {"type": "array", "items": obj({"day": {"type": "string"}, "hours": {"type": "string"}},
                                       required=("day", "hours"))}
SUMMARY_FIELDS = {
    "id": ID, "name": {"type": "string"}, "address": {"type": "string"},
    "latitude": {"type": "number"}, "longitude": {"type": "number"}, "timezone": {"type": "string"},
    "status": {"type": "string", "enum": ["active", "maintenance"]},
    "is_open": {"type": "boolean"}, "opening_hours": HOURS, "availability": AVAILABILITY,
    "plug_types": {"type": "array", "items": {"type": "string"}},
    "max_power_kw": {"type": "number"},
    "distance_km": nullable({"type": "number", "description": "only when lat and lon are given"}),
    "rating": nullable(obj({"average": {"type": "number"}, "count": {"type": "integer"}},
                           required=("average", "count"))),
    "tariff": TARIFF,
}
STATION_SUMMARY = obj(SUMMARY_FIELDS, required=tuple(SUMMARY_FIELDS))
STATION_DETAIL = obj({**SUMMARY_FIELDS, "connectors": {"type": "array", "items": CONNECTOR},
                      "server_time": DATETIME}, required=(*SUMMARY_FIELDS, "connectors", "server_time"))
STATION_STATUS = obj({"id": ID, "is_open": {"type": "boolean"}, "status": {"type": "string"},
                      "availability": AVAILABILITY, "server_time": DATETIME},
                     required=("id", "is_open", "status", "availability", "server_time"))
SEARCH = obj({
    "lat": {"type": "number", "minimum": -90, "maximum": 90},
    "lon": {"type": "number", "minimum": -180, "maximum": 180},
    "radius_km": {"type": "number", "exclusiveMinimum": 0, "maximum": 20000},
    "open_now": {"type": "boolean", "description": "true: only stations open now"},
    "available": {"type": "boolean", "description": "true: only stations with a connector bookable now"},
    "plug_type": {"type": "string", "enum": list(PLUG_TYPES)},
    "min_power_kw": {"type": "number", "minimum": 0, "maximum": 1000},
    "q": {"type": "string", "maxLength": 100, "description": "part of the name or address"},
    "limit": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50},
    "offset": {"type": "integer", "minimum": 0, "maximum": 100000, "default": 0},
})


def connector_json(view) -> dict:
    c = view.connector
    return {"id": c.id, "charger_id": c.charge_point_id, "connector_id": c.connector_id,
            "plug_type": c.plug_type, "max_power_kw": c.max_power_kw, "status": c.status, "state": view.state,
            "label": view.label, "bookable": view.bookable}


def availability_json(view) -> dict:
    return {"available": view.available, "total": len(view.connectors)}


def _tariff_json(t) -> dict | None:
    if t is None:
        return None
    return {"currency": t.currency, "price_per_kwh": t.price_per_kwh, "price_per_minute": t.price_per_minute,
            "session_fee": t.session_fee, "idle_fee_per_minute": t.idle_fee_per_minute}


def summary_json(view) -> dict:
    s = view.station
    return {"id": s.id, "name": s.name, "address": s.address, "latitude": s.latitude, "longitude": s.longitude,
            "timezone": s.timezone, "status": s.status, "is_open": view.is_open,
            "opening_hours": [{"day": day, "hours": text} for day, text in hours.describe(s)],
            "availability": availability_json(view), "plug_types": view.plugs, "max_power_kw": view.max_kw,
            "distance_km": round(view.distance_km, 3) if view.distance_km is not None else None,
            "rating": {"average": view.rating[0], "count": view.rating[1]} if view.rating else None,
            "tariff": _tariff_json(s.tariff)}


@bp.get("/stations")
@endpoint("Stations with open/closed, availability and (with lat/lon) distance, nearest first",
          tags=["Stations"], auth=None, query=SEARCH,
          responses={200: ("Matching stations", obj({
              "stations": {"type": "array", "items": STATION_SUMMARY},
              "total": {"type": "integer", "minimum": 0}, "server_time": DATETIME},
              required=("stations", "total", "server_time")))})
def list_stations(query):
    """Search stations."""
    filters = geo.Filters(available=query.get("available", False), plug=query.get("plug_type"),
                          min_kw=query.get("min_power_kw"), open_now=query.get("open_now", False))
    found = station_status.search(query.get("lat"), query.get("lon"), query.get("radius_km"), query.get("q"), filters)
    limit, offset = query["limit"], query["offset"]
    return {"stations": [summary_json(v) for v in found[offset:offset + limit]], "total": len(found),
            "server_time": iso(utcnow())}


@bp.get("/stations/<int:station_id>")
@endpoint("A station with every connector and whether it can be booked now", tags=["Stations"], auth=None,
          responses={200: ("The station", STATION_DETAIL)}, errors=(404,))
def station_detail(station_id):
    """One station in full."""
    view = station_status.station_view(station_id)
    return {**summary_json(view), "connectors": [connector_json(c) for c in view.connectors],
            "server_time": iso(utcnow())}


@bp.get("/stations/<int:station_id>/status")
@endpoint("Lightweight station status, for polling every 30 s", tags=["Stations"], auth=None,
          responses={200: ("Open/closed and availability", STATION_STATUS)}, errors=(404,))
def station_live_status(station_id):
    """Open now and how many connectors are free."""
    view = station_status.station_view(station_id)
    return {"id": view.station.id, "is_open": view.is_open, "status": view.station.status,
            "availability": availability_json(view), "server_time": iso(utcnow())}


@bp.get("/stations/<int:station_id>/chargers/available")
@endpoint("The connectors of a station a hold would accept now", tags=["Stations"], auth=None,
          responses={200: ("Bookable connectors", obj({
              "station_id": ID, "is_open": {"type": "boolean"},
              "connectors": {"type": "array", "items": CONNECTOR}},
              required=("station_id", "is_open", "connectors")))}, errors=(404,))
def available_connectors(station_id):
    """Bookable connectors only."""
    view = station_status.station_view(station_id)
    return {"station_id": view.station.id, "is_open": view.is_open,
            "connectors": [connector_json(c) for c in view.connectors if c.bookable]}
