"""Stations: list with open/closed, availability and distance; details; a lightweight status for polling."""
from datetime import date
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import Field

from ..services.booking import slot_times, slots
from ..services.fleet import geo, hours, station_status
from ..services.fleet.stations import PLUG_TYPES
from ..timeutil import iso, utcnow
from .blueprint import bp
from .contract import endpoint
from .resources import (Availability, Connector, DateTime, Id, Query, QueryBool, Station, StationDetail,
                        StationSlots, Wire)


class StationSearch(Query):
    lat: Annotated[float, Field(ge=-90, le=90)] = None
    lon: Annotated[float, Field(ge=-180, le=180)] = None
    radius_km: Annotated[float, Field(gt=0, le=20000)] = None
    open_now: Annotated[QueryBool, Field(description="true: only stations open now")] = False
    available: Annotated[QueryBool, Field(description="true: only stations with a connector bookable now")] = False
    plug_type: Literal[PLUG_TYPES] = None
    min_power_kw: Annotated[float, Field(ge=0, le=1000)] = None
    q: Annotated[str, Field(max_length=100, description="part of the name or address")] = None
    limit: Annotated[int, Field(ge=1, le=100)] = 50
    offset: Annotated[int, Field(ge=0, le=100000)] = 0


class StationPage(Wire):
    stations: list[Station]
    total: Annotated[int, Field(ge=0)]
    server_time: DateTime


class StationStatus(Wire):
    id: Id
    is_open: bool
    status: str
    availability: Availability
    server_time: DateTime


class BookableConnectors(Wire):
    station_id: Id
    is_open: bool
    connectors: list[Connector]


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
          tags=["Stations"], auth=None, query=StationSearch, responses={200: ("Matching stations", StationPage)})
def list_stations(query):
    """Search stations."""
    filters = geo.Filters(available=query.available, plug=query.plug_type, min_kw=query.min_power_kw,
                          open_now=query.open_now)
    found = station_status.search(query.lat, query.lon, query.radius_km, query.q, filters)
    limit, offset = query.limit, query.offset
    return {"stations": [summary_json(v) for v in found[offset:offset + limit]], "total": len(found),
            "server_time": iso(utcnow())}


@bp.get("/stations/<int:station_id>")
@endpoint("A station with every connector and whether it can be booked now", tags=["Stations"], auth=None,
          responses={200: ("The station", StationDetail)}, errors=(404,))
def station_detail(station_id):
    """One station in full."""
    view = station_status.station_view(station_id)
    return {**summary_json(view), "connectors": [connector_json(c) for c in view.connectors],
            "server_time": iso(utcnow())}


@bp.get("/stations/<int:station_id>/status")
@endpoint("Lightweight station status, for polling every 30 s", tags=["Stations"], auth=None,
          responses={200: ("Open/closed and availability", StationStatus)}, errors=(404,))
def station_live_status(station_id):
    """Open now and how many connectors are free."""
    view = station_status.station_view(station_id)
    return {"id": view.station.id, "is_open": view.is_open, "status": view.station.status,
            "availability": availability_json(view), "server_time": iso(utcnow())}


@bp.get("/stations/<int:station_id>/chargers/available")
@endpoint("The connectors of a station a hold would accept now", tags=["Stations"], auth=None,
          responses={200: ("Bookable connectors", BookableConnectors)}, errors=(404,))
def available_connectors(station_id):
    """Bookable connectors only."""
    view = station_status.station_view(station_id)
    return {"station_id": view.station.id, "is_open": view.is_open,
            "connectors": [connector_json(c) for c in view.connectors if c.bookable]}


class SlotsQuery(Query):
    date: Annotated[date, Field(description="the station-local date (YYYY-MM-DD)")]
    duration_minutes: Annotated[int, Field(ge=15, le=1440, description="the slot length (default: the "
                                           "SLOT_DEFAULT_MINUTES setting)")] = None


@bp.get("/stations/<int:station_id>/slots")
@endpoint("Free slot starts per connector on a station-local date, for booking ahead", tags=["Stations"],
          auth=None, query=SlotsQuery, responses={200: ("Free times per connector", StationSlots)}, errors=(404,),
          description="Starts inside the opening hours (a slot may run past midnight while the station stays "
                      "open), from now + the lead time up to the maximum days ahead, clear of other slots and "
                      "their changeover and of maintenance windows. The charger need not be online now.")
def station_slots(station_id, query):
    """Free times per connector."""
    length = query.duration_minutes or slot_times.settings().default.seconds // 60
    station, rows = slots.free_times(station_id, query.date, minutes=length)
    zone = ZoneInfo(station.timezone)
    return {"station_id": station.id, "date": query.date.isoformat(), "timezone": station.timezone,
            "duration_minutes": length,
            "connectors": [{"id": r.connector.id, "charger_id": r.connector.charger.charge_point_id,
                            "connector_id": r.connector.connector_id, "plug_type": r.connector.plug_type,
                            "max_power_kw": r.connector.max_power_kw,
                            "free": [{"start": iso(t), "local_time": f"{t.astimezone(zone):%H:%M}"} for t in r.free]}
                           for r in rows]}
