"""Analytics charts (server-side SVG) and the streamed CSV exports."""
from flask import Response, render_template, request, stream_with_context
from flask_login import current_user

from .. import params
from ..auth.decorators import admin_required, staff_required
from ..services.reports import analytics as stats, exports, records
from ..timeutil import utcnow
from . import svg
from .blueprint import bp
from .common import arg_date


def _station_filter() -> int | None:
    return params.int_arg("station_id")


def _period():
    """[from, to] from ?day_from=&day_to= or ?days=N (default: the last 30 days)."""
    days = params.int_arg("days")
    default = days if days is not None and 0 < days <= stats.MAX_DAYS else 30
    return stats.period(arg_date("day_from"), arg_date("day_to"), default)


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
                                      "Sessions per day", "sessions"),
        "utilisation_day": svg.bar_chart(labels, [("Utilisation", [f.utilisation * 100 for f in days], "s-util")],
                                         "Utilisation per day", "%"),
        "revenue_station": svg.bar_chart(names, [("Revenue", [f.revenue / 100 for f in per_station], "s-revenue")],
                                         "Revenue per station", currency, label_every=1),
        "energy_station": svg.bar_chart(names, [("Energy", [f.energy_wh / 1000 for f in per_station], "s-energy")],
                                        "Energy per station", "kWh", label_every=1),
        "utilisation_station": svg.bar_chart(names, [("Utilisation", [f.utilisation * 100 for f in per_station],
                                                      "s-util")], "Utilisation per station", "%", label_every=1),
        "solar": [(station, svg.bar_chart(labels, [("Solar production", [f.solar_wh / 1000 for _, f in rows], "s-solar"),
                                                   ("Charging energy", [f.energy_wh / 1000 for _, f in rows], "s-energy")],
                                          f"Solar against charging at {station.name}", "kWh"))
                  for station, rows in data["solar"]],
    }


@bp.route("/analytics")
@staff_required
def analytics():
    """Revenue, energy, sessions and utilisation per day and per station; solar against charging."""
    data = stats.report(current_user, *_period(), _station_filter())
    currency = next((s.tariff.currency for s, _ in data["stations"] if s.tariff), "INR")
    return render_template("admin/analytics.html", data=data, currency=currency, station_id=_station_filter(),
                           stations=records.stations_for_filter(current_user), **charts(data, currency))


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
    filters = {"q": request.args.get("q", "").strip(), "state": request.args.get("state", ""),
               "station_id": _station_filter(), "day_from": arg_date("day_from"), "day_to": arg_date("day_to")}
    return _csv("sessions", exports.export_sessions(current_user, **filters))


@bp.route("/exports/payments.csv")
@staff_required
def export_payments():
    """Payments at your stations as CSV (same filters as the payments list)."""
    filters = {"q": request.args.get("q", "").strip(), "kind": request.args.get("kind", ""),
               "status": request.args.get("status", ""), "day_from": arg_date("day_from"),
               "day_to": arg_date("day_to")}
    return _csv("payments", exports.export_payments(current_user, **filters))


@bp.route("/exports/users.csv")
@admin_required
def export_users():
    """Accounts as CSV (admins only; same filters as the users list)."""
    filters = {"q": request.args.get("q", "").strip(), "role": request.args.get("role", ""),
               "state": request.args.get("state", "")}
    return _csv("users", exports.export_users(**filters))
