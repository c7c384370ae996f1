"""The listener registry that lets charging/ hand a rule to booking/ without importing it: the app wires
both rules at start, registering again changes nothing, and an announcement nobody listens for raises
instead of silently skipping the rule."""
import pytest

from webapp.services.booking import app_sessions
from webapp.services.booking import listeners as booking_listeners
from webapp.services.platform import listeners


def test_create_app_wires_the_booking_rules(app):
    booking_listeners.register()  # a second app in the same process: still one of each
    assert listeners._listeners["unstarted_booking_faulted"] == [booking_listeners.cancel_faulted]
    assert listeners._listeners["booking_completed"] == [app_sessions.apply_rating]


def test_announcing_to_nobody_raises(monkeypatch):
    monkeypatch.setattr(listeners, "_listeners", {})
    with pytest.raises(RuntimeError, match="nothing listens for 'booking_completed'"):
        listeners.announce("booking_completed", 1)
    with pytest.raises(ValueError):
        listeners.listen("no_such_event", print)
    heard = []
    listeners.listen("booking_completed", heard.append)
    listeners.listen("booking_completed", heard.append)
    listeners.announce("booking_completed", 7)
    assert heard == [7]
