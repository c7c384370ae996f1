"""Chargers: the live list."""
from flask_login import current_user

from ..auth.decorators import staff_required
from ..fragments import page_or_fragment
from ..services import monitoring
from ..timeutil import utcnow
from . import bp


@bp.route("/")
@bp.route("/chargers")
@staff_required
def dashboard():
    """Chargers with online/offline, connector status and last seen; the table refreshes itself."""
    chargers = monitoring.visible_chargers(current_user)
    return page_or_fragment("admin/chargers/list.html", "admin/chargers/_table.html", "charger-table",
                            chargers=chargers, now=utcnow())
