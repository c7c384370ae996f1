"""Finding a charger: stations near the driver, filters, and one station's page."""
from flask import abort, request
from flask_login import current_user

from ..auth.signed_in import has_sign_in, signed_in_id
from ..fragments import page_or_fragment, wants_fragment
from ..services.fleet import availability, geo, hours
from .blueprint import bp
from .forms_finder import FinderForm


@bp.route("/")
def home():
    """Stations nearest first (geolocation or a typed place) or by name, filtered; the list refreshes itself."""
    form = FinderForm(request.args)
    ok = form.validate()
    filters = form.filters()
    return page_or_fragment("driver/home.html", "driver/stations/_list.html", "station-list",
                            status=200 if ok else 422, views=geo.find(form.origin, filters), filters=filters,
                            form=form, origin=form.origin, place=form.place_name, error=form.first_error,
                            places=list(geo.PLACES), plug_types=geo.plug_types())


@bp.route("/stations/<int:station_id>")
def station(station_id: int):
    """A station: open badge, hours in its timezone, tariff, directions and live connectors."""
    view = availability.station_view(station_id)
    if view is None:
        abort(404)
    # The polled fragment picks "Book" or "Log in to book" from the session alone (no user query: a station
    # fragment from a fresh snapshot then needs no database at all); the page knows the user anyway.
    fragment = wants_fragment("connectors")
    return page_or_fragment("driver/stations/show.html", "driver/stations/_connectors.html", "connectors",
                            view=view, station=view.station, hours=hours.describe(view.station),
                            local_now=hours.local_now(view.station),
                            signed_in=has_sign_in() if fragment else current_user.is_authenticated,
                            me=signed_in_id() if fragment else (current_user.id if current_user.is_authenticated
                                                                 else None))


@bp.app_template_filter("opens")
def format_opens(view) -> str:
    """A closed station's next opening: 'Opens 18:00' or 'Opens Mon 08:00' (station time); '' if unknown."""
    return hours.opens_text(view.station, view.opens_at)


@bp.app_template_filter("km")
def format_km(value: float | None) -> str:
    """'850 m' or '3.4 km'."""
    if value is None:
        return ""
    return f"{value * 1000:.0f} m" if value < 1 else f"{value:.1f} km"


@bp.app_template_filter("duration")
def format_duration(span) -> str:
    """'1 h 05 min', '12 min 30 s' or '45 s' for a timedelta."""
    seconds = max(0, int(span.total_seconds()))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    if h:
        return f"{h} h {m:02d} min"
    return f"{m} min {s:02d} s" if m else f"{s} s"


@bp.app_template_filter("local")
def format_local(value, station=None, fmt: str = "%d %b %Y, %H:%M") -> str:
    """A UTC time shown in the station's timezone (or UTC)."""
    if value is None:
        return ""
    return (hours.local_now(station, value) if station is not None else value).strftime(fmt)


@bp.app_template_filter("left")
def format_left(until) -> str:
    """Time left until `until` as m:ss (the countdown script keeps it ticking)."""
    from ..timeutil import utcnow

    seconds = max(0, int((until - utcnow()).total_seconds())) if until else 0
    return f"{seconds // 60}:{seconds % 60:02d}"
