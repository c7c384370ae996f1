"""Stations: list, create, edit, retire, and adding chargers to them."""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from ..auth.decorators import admin_required, staff_required
from ..services.booking import slot_staff
from ..services.fleet import hours, maintenance, qr, stations, tariffs
from ..services.platform import audit
from ..services.reports import monitoring
from . import smart
from .blueprint import bp
from .access import station_or_abort
from .chargers import ocpp_url
from .forms.chargers import NewChargerForm
from .forms.filters import StationFilterForm
from .forms.stations import StationForm
from .forms.submit import button, submit

def _form_page(form: StationForm, station=None, status: int = 200):
    return render_template("admin/stations/form.html", station=station, form=form, tariffs=tariffs.active_tariffs(),
                           timezones=hours.timezones()), status


@bp.route("/stations", endpoint="stations")
@staff_required
def stations_list():
    """The stations you manage, with their status and chargers."""
    form = StationFilterForm.from_args()
    filters = form.filters()
    q, status = filters["q"], filters["status"]
    rows = [s for s in monitoring.visible_stations(current_user)
            if (not q or q.lower() in (s.name + " " + s.address).lower()) and (not status or s.status == status)]
    return render_template("admin/stations/list.html", stations=rows, form=form,
                           open_now={s.id: hours.is_open(s) for s in rows})


@bp.route("/stations/new", methods=["GET", "POST"])
@admin_required
def station_new():
    """Create a station (validated coordinates, IANA timezone, weekly hours with overnight ranges)."""
    form = StationForm()
    if request.method != "POST":
        return _form_page(form)
    station, refused = submit(form, lambda: stations.create_station(form.details()))
    if refused:
        return _form_page(form, None, refused)
    flash(f"Station {station.name} created. Add its chargers next.", "success")
    return redirect(url_for("admin.station_detail", station_id=station.id))


@bp.route("/stations/<int:station_id>")
@staff_required
def station_detail(station_id: int):
    """A station: details, opening hours, chargers and connectors, maintenance windows, operators."""
    station = station_or_abort(station_id)
    return render_template("admin/stations/detail.html", station=station, hours_rows=hours.describe(station),
                           open_now=hours.is_open(station), windows=maintenance.windows_for_station(station),
                           upcoming=slot_staff.upcoming_at_station(station),
                           trail=audit.for_target("station", station.id), **smart.station_panel(station))


@bp.route("/stations/<int:station_id>/edit", methods=["GET", "POST"])
@staff_required
def station_edit(station_id: int):
    """Edit a station's details, hours and tariff."""
    station = station_or_abort(station_id)
    form = StationForm.for_station(station)
    if request.method != "POST":
        return _form_page(form, station)
    _, refused = submit(form, lambda: stations.update_station(station, form.details()))
    if refused:
        return _form_page(form, station, refused)
    flash(f"Station {station.name} saved.", "success")
    return redirect(url_for("admin.station_detail", station_id=station.id))


@bp.route("/stations/<int:station_id>/retire", methods=["POST"])
@admin_required
def station_retire(station_id: int):
    """Retire a station: hidden from drivers; bookings not yet started are cancelled and refunded."""
    station = station_or_abort(station_id)
    return button(lambda: stations.retire_station(station),
                  lambda cancelled: f"Station {station.name} retired; {cancelled} booking(s) cancelled and refunded.",
                  url_for("admin.station_detail", station_id=station.id))


@bp.route("/stations/<int:station_id>/reinstate", methods=["POST"])
@admin_required
def station_reinstate(station_id: int):
    """Bring a retired station back into service."""
    station = station_or_abort(station_id)
    return button(lambda: stations.reinstate_station(station), f"Station {station.name} is active again.",
                  url_for("admin.station_detail", station_id=station.id))


@bp.route("/stations/<int:station_id>/chargers/new", methods=["GET", "POST"])
@staff_required
def charger_new(station_id: int):
    """Add a charger; the answer shows its OCPP URL and generated password, once."""
    station = station_or_abort(station_id)
    form = NewChargerForm()
    if request.method != "POST":
        return render_template("admin/chargers/new.html", station=station, form=form)
    added, refused = submit(form, lambda: stations.add_charger(
        station.id, form.cp_id.data or "", form.connectors.data, form.power_kw.data, form.plug.data,
        form.supports_reservation.data))
    if refused:
        return render_template("admin/chargers/new.html", station=station, form=form), refused
    charger, password = added
    return render_template("admin/chargers/credentials.html", charger=charger, password=password,
                           ocpp_url=ocpp_url(charger), fresh=True)


@bp.route("/stations/<int:station_id>/qr")
@staff_required
def station_qr(station_id: int):
    """A printable sheet: each connector's QR code with its charger id and connector number."""
    station = station_or_abort(station_id)
    connectors = [c for ch in station.chargers if not ch.retired for c in ch.connectors]
    codes = [(c, Markup(qr.svg_for_connector(c, request.host_url)), qr.connector_url(c, request.host_url))
             for c in connectors]
    return render_template("admin/stations/qr.html", station=station, codes=codes)
