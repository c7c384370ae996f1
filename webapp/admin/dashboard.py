"""The live dashboard."""
from flask_login import current_user

from ..auth.decorators import staff_required
from ..fragments import page_or_fragment
from ..services.reports import monitoring
from .blueprint import bp


@bp.route("/")
@staff_required
def dashboard():
    """Chargers online/offline, connectors by status, active sessions, today's energy and revenue, alerts."""
    return page_or_fragment("admin/dashboard.html", "admin/_dashboard_live.html", "dashboard-live",
                            data=monitoring.dashboard(current_user))
