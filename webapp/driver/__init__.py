"""The driver's pages: find, book, pay, scan, charge, finish, history, notifications and their preferences, and the PWA shell."""
from .blueprint import bp
from . import stations, bookings, charging, history as history_views, notifications as notification_views, pwa  # noqa: F401
from . import balance as balance_views, changes as change_views, slots as slot_views  # noqa: F401
from . import preferences as preference_views  # noqa: F401
