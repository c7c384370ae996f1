"""The operator and admin console (/admin): one module per resource.

Every console route is guarded twice: the blueprint refuses anyone but staff before any view runs, and
each view adds its own rule (admin only, or a load-or-abort helper from `access` that checks the
operator's stations).
"""
from .blueprint import bp

from . import (
    analytics,
    audit,
    bookings,
    chargers,
    commands,
    connectors,
    dashboard,
    health,
    maintenance,
    payments,
    preferences,
    sessions,
    slots,
    smart,
    stations,
    tariffs,
    users,
)
