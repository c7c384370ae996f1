"""The two blueprints: the JSON API for apps (/api) and the one for simple devices (/device)."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")
device_bp = Blueprint("device", __name__, url_prefix="/device")
