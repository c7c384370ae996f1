"""The driver pages' blueprint: the nav context and the expired-form page."""
from flask import Blueprint
from flask_wtf.csrf import CSRFError

bp = Blueprint("driver", __name__)


@bp.app_context_processor
def nav_context() -> dict:
    """`nav`: the unread badge and live booking link, queried only if the template shows them."""
    from .nav import Nav

    return {"nav": Nav()}


@bp.errorhandler(CSRFError)
def form_expired(exc):
    """A form without a valid CSRF token (stale page, or posted from elsewhere): say so plainly."""
    from flask import render_template

    from .common import wants_json

    message = "This form has expired or did not come from Chargeway. Reload the page and try again."
    if wants_json():
        return {"error": {"code": "csrf", "message": message, "details": {}}}, 400
    return render_template("driver/form_expired.html", message=message), 400
