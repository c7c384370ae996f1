"""The driver's pages: find, book, pay, charge, history."""
from flask import Blueprint

bp = Blueprint("driver", __name__)

from . import stations  # noqa: E402,F401
