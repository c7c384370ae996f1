"""The blueprint of the login, logout and register pages."""
from flask import Blueprint

bp = Blueprint("auth", __name__)
