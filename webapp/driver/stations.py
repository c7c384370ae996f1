"""Finding a charger."""
from flask import render_template
from sqlalchemy import select

from ..extensions import db
from ..models import Station
from ..services import hours
from . import bp


@bp.route("/")
def home():
    """Stations with their open/closed badge."""
    stations = db.session.execute(select(Station).where(Station.status != "retired").order_by(Station.name)).scalars()
    return render_template("driver/home.html", stations=[(s, hours.is_open(s)) for s in stations])
