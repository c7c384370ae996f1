"""Ending sign-ins: every session and remember cookie carries the user's auth epoch; bumping it ends them all.

Flask's sessions are signed cookies held by the browser, so one copied cookie cannot be revoked on its own
without a server-side session store; the epoch is one integer on the user row, read with the user that every
signed-in request loads anyway. Logging out therefore signs the account out of every browser.
"""
from sqlalchemy import update

from ...extensions import db
from ...models import User
from . import tokens


def user_for_cookie(value: str) -> User | None:
    """The active user named by "id:epoch", or None when the epoch is not the current one (or it is malformed)."""
    user_id, _, epoch = (value or "").partition(":")
    if not (user_id.isdigit() and epoch.isdigit()) or len(user_id) > 10:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.auth_epoch != int(epoch):
        return None
    return user


def end_web_sessions(user: User) -> None:
    """Invalidate every session and remember cookie of `user` (in the caller's transaction)."""
    db.session.execute(update(User).where(User.id == user.id).values(auth_epoch=User.auth_epoch + 1))
    db.session.refresh(user)


def end_everything(user: User) -> int:
    """Suspension, password change: every browser session ends and every API token is revoked; returns the
    number of tokens revoked. Does not commit."""
    end_web_sessions(user)
    return tokens.revoke_all(user.id, commit=False)


def log_out(user: User) -> None:
    """Logout: this browser's cookies (and any copy of them) stop working; the app's API tokens are kept."""
    end_web_sessions(user)
    db.session.commit()
