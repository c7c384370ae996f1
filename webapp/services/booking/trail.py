"""A booking's audit trail: what every entry about a booking shows before and after the change.

The services that change a booking (the driver's hold, pay, cancel, move, start, stop, rating; staff
cancelling, taking over or force-finishing; the timers ending it) write the entry with `log`, before their
own commit, so the change and its entry commit together. Imports nothing but the audit log."""
from ...models import Booking
from ..platform import audit

FIELDS = ("status", "connector_id", "quota_kwh", "end_reason", "amount_authorised", "amount_captured",
          "amount_refunded", "rating", "stuck_at", "charging_mode", "solar_floor_kw")


def snapshot(booking: Booking | None) -> dict | None:
    """The booking's audited fields (None before it exists)."""
    return None if booking is None else audit.snapshot(booking, FIELDS)


def log(action: str, booking: Booking, before: dict | None, actor: audit.Actor | None = None, **extra):
    """Add the entry for a change to `booking` (after = its fields now, plus `extra`, e.g. the reason)."""
    return audit.log(action, "booking", booking.id, before, {**snapshot(booking), **extra}, actor=actor)


def by_system() -> audit.Actor:
    """The platform acting on its own (a timer seen by a read), through whatever channel the read came."""
    actor = audit.current_actor()
    return audit.Actor(None, actor.via, actor.ip)
