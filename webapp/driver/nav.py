"""The driver nav's live figures: the unread badge and the "My booking" link (the live booking, else the next
slot booked ahead).

Loaded by the templates that show them, on first use, once per rendering. A polled fragment (station list,
connectors, live session) renders no nav, so it never pays for these two queries; a full page, a boosted
link or any fragment that does show them gets them, whatever headers it came with.
"""
from functools import cached_property

from flask_login import current_user

from ..services.platform import notifications
from ..services.reports import history


class Nav:
    """What the nav shows for the signed-in driver; nothing for visitors."""

    @cached_property
    def unread(self) -> int:
        return notifications.unread_count(current_user.id) if current_user.is_authenticated else 0

    @cached_property
    def live_booking(self):
        return history.live_booking(current_user) if current_user.is_authenticated else None

    @cached_property
    def my_booking(self):
        """The live booking, else the next slot booked ahead."""
        return history.my_booking(current_user) if current_user.is_authenticated else None

