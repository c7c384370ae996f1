"""Changing an account's password: the current one first, the policy for the new one, then every other
sign-in ends."""
from ...extensions import db
from ...models import User
from . import signouts
from ..platform import audit, notifications
from ...timeutil import utcnow, zoned
from ..errors import InvalidInput
from .password_policy import check_new


def change(user: User, current: str, new: str, confirm: str) -> None:
    """Set a new password after checking the current one; every other session and every API token ends."""
    if not user.check_password(current or ""):
        raise InvalidInput("The current password is wrong.", {"field": "current_password"})
    check_new(new, "new_password")
    if new != confirm:
        raise InvalidInput("The new passwords do not match.", {"field": "confirm_password"})
    user.set_password(new)
    revoked = signouts.end_everything(user)
    audit.log("user.password", "user", user.id, None, {"api_tokens_revoked": revoked})
    tz = notifications.latest_timezone(user.id)
    notifications.notify(user.id, "password_changed", "Password changed",
                         f"Your password was changed at {zoned(utcnow(), tz, '%d %b %Y, %H:%M')}; every other "
                         "sign-in and app token was ended. If this was not you, change it again at once.",
                         link="/account/password", tz=tz)
    db.session.commit()
