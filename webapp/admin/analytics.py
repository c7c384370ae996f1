"""Analytics charts (server-side SVG) and the streamed CSV exports."""
from flask import Response, render_template, stream_with_context
from flask_login import current_user

from ..auth.decorators import admin_required, staff_required
from ..services.reports import analytics as stats, exports, records
from ..timeutil import utcnow
from . import clock, svg
from .blueprint import bp
from .forms.filters import AnalyticsFilterForm, PaymentFilterForm, SessionFilterForm, UserFilterForm


def _period(filters: dict):
    """[from, to] from ?day_from=&day_to= or ?days=N (default: the last 30 station-local days up to today)."""
    days = filters["days"]
    default = days if days is not None and 0 < days <= stats.MAX_DAYS else 30
    today = stats.local_today(current_user, filters["station_id"], clock.zone_for(None))
    return stats.period(filters["day_from"], filters["day_to"], default, today)


PERCENT = stats.percent_text  # utilisation as the figures tables write it


def charts(data: dict, currency: str) -> dict:
    """The report's charts as inline SVG."""
    labels = [d.strftime("%d %b") for d, _ in data["days"]]
    days = [f for _, f in data["days"]]
    names = [s.name for s, _ in data["stations"]]
    per_station = [f for _, f in data["stations"]]
    return {
        "revenue_day": svg.bar_chart(labels, [("Revenue", [f.revenue / 100 for f in days], "s-revenue")],
                                     "Revenue per day", currency),
        "energy_day": svg.bar_chart(labels, [("Energy", [f.energy_wh / 1000 for f in days], "s-energy")],
                                    "Energy per day", "kWh"),
        "sessions_day": svg.bar_chart(labels, [("Sessions", [f.sessions for f in days], "s-sessions")],
                                      "Sessions per day", "sessions", whole=True),
        "utilisation_day": svg.bar_chart(labels, [("Utilisation", [f.utilisation_pct for f in days], "s-util")],
                                         "Utilisation per day", "%", value_format=PERCENT),
        "revenue_station": svg.bar_chart(names, [("Revenue", [f.revenue / 100 for f in per_station], "s-revenue")],
                                         "Revenue per station", currency, label_every=1),
        "energy_station": svg.bar_chart(names, [("Energy", [f.energy_wh / 1000 for f in per_station], "s-energy")],
                                        "Energy per station", "kWh", label_every=1),
        "utilisation_station": svg.bar_chart(names, [("Utilisation", [f.utilisation_pct for f in per_station],
                                                      "s-util")], "Utilisation per station", "%", label_every=1,
                                             value_format=PERCENT),
        "solar": [(station, svg.bar_chart(labels, [("Solar production", [f.solar_wh / 1000 for _, f in rows], "s-solar"),
                                                   ("Charging energy", [f.energy_wh / 1000 for _, f in rows], "s-energy")],
                                          f"Solar against charging at {station.name}", "kWh"))
                  for station, rows in data["solar"]],
    }


@bp.route("/analytics")
@staff_required
def analytics():
    """Revenue, energy, sessions and utilisation per day and per station; solar against charging."""
    form = AnalyticsFilterForm.from_args(records.stations_for_filter(current_user))
    filters = form.filters()
    start, end = _period(filters)
    form.show_period(start, end)
    data = stats.report(current_user, start, end, filters["station_id"], clock.zone_for(None))
    currency = next((s.tariff.currency for s, _ in data["stations"] if s.tariff), "INR")
    return render_template("admin/analytics.html", data=data, currency=currency, station_id=filters["station_id"],
                           form=form, **charts(data, currency))


def _csv(name: str, body) -> Response:
    """Stream an export (the service has audited it) as a download."""
    filename = f"chargeway-{name}-{utcnow():%Y%m%d-%H%M%S}.csv"
    return Response(stream_with_context(body), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "no-store"})


@bp.route("/exports/sessions.csv")
@staff_required
def export_sessions():
    """Charging sessions at your stations as CSV (same filters as the sessions list)."""
    form = SessionFilterForm.from_args(records.stations_for_filter(current_user))
    return _csv("sessions", exports.export_sessions(current_user, **form.filters(), zone=clock.console_zone()))


@bp.route("/exports/payments.csv")
@staff_required
def export_payments():
    """Payments at your stations as CSV (same filters as the payments list)."""
    return _csv("payments", exports.export_payments(current_user, **PaymentFilterForm.from_args().filters(),
                                                  zone=clock.console_zone()))


@bp.route("/exports/users.csv")
@admin_required
def export_users():
    """Accounts as CSV (admins only; same filters as the users list)."""
    return _csv("users", exports.export_users(**UserFilterForm.from_args().filters()))
