"""Listeners: a lower package announces what happened and a higher one acts on it, without an import upward.

The charger drives the lifecycle (charging/), but two of the rules it sets off belong to booking/, which
itself imports charging/: a fault cancels a booking that has not started, and a completed session takes the
rating the app sent. So charging/ announces and booking/ listens, registered once at app start
(`create_app`). Announcing what nobody listens for is a wiring mistake and raises: a rule would be skipped.
"""
from collections.abc import Callable

#: What can be announced, and with what.
EVENTS = {
    "unstarted_booking_faulted": "booking (locked, HELD or CONFIRMED): its connector faulted before it charged",
    "booking_completed": "booking id: the booking is COMPLETED and settled",
    "session_started": "ChargingSession: an accepted transaction started (smart charging rebalances)",
    "session_ended": "ChargingSession: a transaction ended (smart charging rebalances)",
}
_listeners: dict[str, list[Callable]] = {}


def listen(event: str, listener: Callable) -> None:
    """Call `listener` on every `event`; registering the same one again changes nothing (one app per test)."""
    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r}")
    registered = _listeners.setdefault(event, [])
    if listener not in registered:
        registered.append(listener)


def announce(event: str, *args) -> None:
    """Call each listener of `event` in the order they registered."""
    listeners = _listeners.get(event)
    if not listeners:
        raise RuntimeError(f"nothing listens for {event!r}: the listeners are registered in create_app")
    for listener in listeners:
        listener(*args)
