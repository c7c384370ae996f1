"""System health (admins only)."""
from ..auth.decorators import admin_required
from ..fragments import page_or_fragment, wants_fragment
from ..services.platform import health as health_service
from ..timeutil import utcnow
from .blueprint import bp


@bp.route("/health")
@admin_required
def health():
    """Database, Redis/RQ or the in-process scheduler, and connected chargers per process; refreshes itself."""
    report = health_service.check()
    # A monitor reading the page gets 503 when something is down; the polling box needs a 2xx to be swapped.
    status = 200 if report["ok"] or wants_fragment("health-live") else 503
    return page_or_fragment("admin/health.html", "admin/_health.html", "health-live", status=status, report=report,
                            now=utcnow())
