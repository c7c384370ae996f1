"""Station search for the API: the driver pages' `geo.find` and `availability` views, plus the two filters
only the API offers (a radius around the position, a text match on name or address)."""
from . import availability, geo
from ..errors import InvalidInput, NotFound


def search(lat: float | None = None, lon: float | None = None, radius_km: float | None = None,
           q: str | None = None, filters: geo.Filters | None = None) -> list[availability.StationView]:
    """Stations matching the filters: nearest first when a position is given, else by name."""
    if (lat is None) != (lon is None):
        raise InvalidInput("Give both lat and lon, or neither.", {"field": "lat" if lat is None else "lon"})
    if radius_km is not None and lat is None:
        raise InvalidInput("radius_km needs lat and lon.", {"field": "radius_km"})
    views = geo.find((lat, lon) if lat is not None else None, filters or geo.Filters())
    if radius_km is not None:
        views = [v for v in views if v.distance_km <= radius_km]
    if q:
        needle = q.strip().lower()
        views = [v for v in views if needle in v.station.name.lower() or needle in (v.station.address or "").lower()]
    return views


def station_view(station_id: int) -> availability.StationView:
    """One station a driver may see, with every connector's state; NotFound for unknown or retired ones."""
    view = availability.station_view(station_id)
    if view is None:
        raise NotFound("No such station.")
    return view
