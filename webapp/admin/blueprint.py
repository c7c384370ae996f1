"""The console's blueprint: staff only, and the template helpers its pages share."""
from flask import Blueprint, abort
from flask_login import current_user

from ..extensions import login_manager
from ..services.accounts import id_tags
from . import clock

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def staff_only():
    """Anonymous visitors go to the login page; drivers get 403."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.is_staff:
        abort(403)


@bp.context_processor
def console_helpers():
    return {"station_time": clock.station_time}


@bp.app_template_filter("console_time")
def console_time(value, where=None, seconds=True):
    """A time on the console's wall clock with its zone named (admin/clock.py): `where` is the station,
    or the charger, connector, booking, session or payment the time belongs to."""
    return clock.time_tag(value, where, clock.FORMAT if seconds else clock.MINUTES)


@bp.app_template_filter("id_tag")
def id_tag_filter(id_tag):
    """A driver's idTag hidden from operators (services/accounts/id_tags.py)."""
    return id_tags.shown(id_tag, id_tags.reveals(current_user))


@bp.app_template_filter("frame")
def frame_filter(text):
    """An OCPP frame with drivers' idTags hidden from operators."""
    return id_tags.shown_in_frame(text, id_tags.reveals(current_user))
