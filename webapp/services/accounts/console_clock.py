"""The wall clock a staff member reads the console on: each station's own time, or one zone of their own."""
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ...extensions import db
from ...models import User
from ..errors import InvalidInput
from ..platform import audit


def set_console_timezone(user: User, zone: str | None) -> None:
    """Show `user` every console time in `zone` (an IANA name), or with None in each station's own time;
    audited. An unknown zone is refused next to its field and changes nothing."""
    zone = (zone or "").strip() or None
    if zone is not None:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInput(f"Unknown timezone {zone!r}; use an IANA name such as Asia/Kolkata or Europe/Berlin.",
                               {"field": "zone"}) from None
    before = user.console_timezone
    if before == zone:
        return
    user.console_timezone = zone
    audit.log("user.console_timezone", "user", user.id, {"console_timezone": before}, {"console_timezone": zone})
    db.session.commit()
