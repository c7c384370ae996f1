"""A station's smart charging on its console page: the plan and production against charging (in the station
detail), and a charger's composite schedule, asked of the charger on demand."""
from flask import render_template, request

from ..auth.decorators import staff_required
from ..services.charging import smart
from ..services.errors import CommandFailed
from ..services.reports import smart_view
from . import clock, svg
from .access import charger_or_abort
from .blueprint import bp


def station_panel(station) -> dict:
    """What the station page shows of smart charging (its template's `power` and `production_chart`)."""
    series = smart_view.production(station.id)
    chart = svg.line_chart([("Solar production", series["solar"], "s-solar"),
                            ("Charging power", series["charging"], "s-power")],
                           "Production against charging, last 6 hours", "kW", zone=clock.zone_for(station))
    return {"power": smart_view.station_power(station), "production_chart": chart,
            "capable": {c.id: smart.capable(c) for c in station.chargers}}


@bp.route("/chargers/<int:charger_id>/composite")
@staff_required
def charger_composite(charger_id: int):
    """GetCompositeSchedule of one connector (0: the whole charger) for the next hour, as the charger answers."""
    charger = charger_or_abort(charger_id)
    connector = request.args.get("connector", 0, type=int)
    error, schedule = None, None
    if not smart.capable(charger):
        error = "This charger has no Smart Charging profile (or has not reported its configuration yet)."
    elif connector != 0 and charger.connector(connector) is None:
        error = f"Charger {charger.charge_point_id} has no connector {connector}."
    else:
        try:
            schedule = smart.composite(charger, connector)
            if schedule is None:
                error = "The charger did not accept GetCompositeSchedule."
        except CommandFailed as exc:
            error = f"No answer: {exc}"
    return render_template("admin/stations/_composite.html", charger=charger, connector=connector,
                           schedule=schedule, error=error)
