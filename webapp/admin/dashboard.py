"""The live dashboard."""
from flask_login import current_user

from ..auth.decorators import staff_required
from ..fragments import page_or_fragment
from ..services.reports import monitoring
from . import clock
from .blueprint import bp


@bp.route("/")
@staff_required
def dashboard():
    """Chargers online/offline, connectors by status, active sessions, today's energy and revenue, alerts.
    "Today" starts at midnight on the console's clock: the viewer's own zone, else their stations' zone when
    they share one, else CONSOLE_TIMEZONE."""
    stations = monitoring.visible_stations(current_user, include_retired=False)
    where = stations[0] if len({s.timezone for s in stations}) == 1 else None  # as clock.console_zone()
    return page_or_fragment("admin/dashboard.html", "admin/_dashboard_live.html", "dashboard-live", where=where,
                            data=monitoring.dashboard(current_user, zone=clock.zone_for(where)))
