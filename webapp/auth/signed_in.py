"""Whether a browser session carries a sign-in, without loading the user from the database."""
from flask import session


def has_sign_in() -> bool:
    """True when Flask-Login has put a user id in this session (`login_user` does; logging out removes it).

    For display only, never for access: a user suspended since signing in still has the id in the session
    (every protected view loads the user and refuses them). It lets a polled fragment choose between its
    signed-in and visitor forms without a database round trip.
    """
    return "_user_id" in session


def signed_in_id() -> int | None:
    """The user id in this session's sign-in ("id:epoch"), without a database round trip; display only, as
    `has_sign_in` (it marks the driver's own connector "Yours" on a polled fragment)."""
    raw = str(session.get("_user_id") or "").split(":", 1)[0]
    return int(raw) if raw.isdigit() else None
