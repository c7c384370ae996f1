"""Log in, log out, register."""
from . import views  # noqa: F401
from .blueprint import bp
