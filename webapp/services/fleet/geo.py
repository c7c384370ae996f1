"""Where the driver is and what is near: places, great-circle distance, filters and sorting."""
import math
from dataclasses import dataclass, replace

from . import availability
from ..errors import InvalidInput
from .stations import PLUG_TYPES

EARTH_RADIUS_KM = 6371.0088

#: Typed-in places for drivers who refuse geolocation: Bengaluru (the demo city) and a few cities.
PLACES = {
    "MG Road": (12.9755, 77.6068), "Indiranagar": (12.9719, 77.6412), "Koramangala": (12.9352, 77.6245),
    "HSR Layout": (12.9116, 77.6474), "BTM Layout": (12.9166, 77.6101), "Jayanagar": (12.9299, 77.5826),
    "Banashankari": (12.9255, 77.5468), "Malleshwaram": (13.0035, 77.5709), "Rajajinagar": (12.9911, 77.5550),
    "Majestic": (12.9767, 77.5713), "Hebbal": (13.0358, 77.5970), "Yelahanka": (13.1007, 77.5963),
    "Whitefield": (12.9698, 77.7500), "Marathahalli": (12.9591, 77.6974), "Electronic City": (12.8452, 77.6602),
    "Kempegowda Airport": (13.1989, 77.7068),
    "Mumbai": (19.0760, 72.8777), "Delhi": (28.6139, 77.2090), "Chennai": (13.0827, 80.2707),
    "Hyderabad": (17.3850, 78.4867), "Pune": (18.5204, 73.8567),
}


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def parse_position(lat: str | None, lon: str | None) -> tuple[float, float] | None:
    """A position from the browser's geolocation; None when absent, InvalidInput when malformed."""
    if not lat and not lon:
        return None
    try:
        position = float(lat), float(lon)
    except (TypeError, ValueError):
        raise InvalidInput("Your position could not be read. Type a place instead.")
    if not (-90 <= position[0] <= 90 and -180 <= position[1] <= 180) or not all(map(math.isfinite, position)):
        raise InvalidInput("Your position is out of range. Type a place instead.")
    return position


def resolve_place(text: str | None) -> tuple[str, tuple[float, float]] | None:
    """A typed place (case-insensitive name or prefix); None when empty, InvalidInput when unknown."""
    wanted = " ".join((text or "").split()).lower()
    if not wanted:
        return None
    for name, position in PLACES.items():
        if name.lower() == wanted:
            return name, position
    matches = [name for name in PLACES if name.lower().startswith(wanted) or wanted in name.lower()]
    if len(matches) == 1:
        return matches[0], PLACES[matches[0]]
    hint = ", ".join(matches[:5]) if matches else ", ".join(list(PLACES)[:6])
    raise InvalidInput(f"We do not know the place {text.strip()!r}. Try: {hint}.")


@dataclass(frozen=True)
class Filters:
    available: bool = False
    plug: str | None = None
    min_kw: float | None = None
    open_now: bool = False

    def keeps(self, connector) -> bool:
        """Whether a connector matches the plug and power filters."""
        return ((self.plug is None or connector.plug_type == self.plug)
                and (self.min_kw is None or connector.max_power_kw >= self.min_kw))


def find(origin: tuple[float, float] | None, filters: Filters) -> list[availability.StationView]:
    """Stations matching `filters`, nearest first from `origin` (by name without one)."""
    found = []
    for view in availability.listed_views():  # shared snapshots: filtered into copies, never changed
        connectors = tuple(c for c in view.connectors if filters.keeps(c.connector))
        if (filters.plug or filters.min_kw is not None) and not connectors:
            continue
        if filters.open_now and not view.is_open:
            continue
        if len(connectors) != len(view.connectors):
            view = replace(view, connectors=connectors)
        if filters.available and view.available == 0:
            continue
        if origin is not None:
            view = replace(view, distance_km=haversine_km(origin[0], origin[1], view.station.latitude,
                                                          view.station.longitude))
        found.append(view)
    if origin is not None:
        found.sort(key=lambda v: (v.distance_km, v.station.name))
    return found


def plug_types() -> list[str]:
    """Plug types drivers can filter on."""
    return list(PLUG_TYPES)
