"""The driver's pages: find, book, pay, scan, charge, finish, history, notifications, and the PWA shell."""
from flask import Blueprint
from flask_login import current_user
from flask_wtf.csrf import CSRFError

bp = Blueprint("driver", __name__)


@bp.app_context_processor
def driver_nav() -> dict:
    """The unread badge and the live booking link in the nav, for signed-in drivers."""
    if not current_user.is_authenticated:
        return {}
    from ..services import history, notifications

    return {"unread_notifications": notifications.unread_count(current_user.id),
            "nav_live_booking": history.live_booking(current_user)}


@bp.errorhandler(CSRFError)
def form_expired(exc):
    """A form without a valid CSRF token (stale page, or posted from elsewhere): say so plainly."""
    from flask import render_template

    from .common import wants_json

    message = "This form has expired or did not come from Chargeway. Reload the page and try again."
    if wants_json():
        return {"error": {"code": "csrf", "message": message, "details": {}}}, 400
    return render_template("driver/form_expired.html", message=message), 400


from . import stations, bookings, charging, history as history_views, notifications as notification_views, pwa  # noqa: E402,F401,I001
