"""The operator and admin console (/admin)."""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from . import chargers  # noqa: E402,F401
