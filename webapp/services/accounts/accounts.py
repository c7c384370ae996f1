"""Accounts: registration and authentication (throttled by login_limits)."""
import logging
import re
import secrets
from functools import lru_cache

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import generate_password_hash

from ...extensions import db
from ...models import ROLES, User
from . import login_limits
from ..platform import audit
from ..errors import Conflict, Forbidden, InvalidInput
from .password_policy import check_new as check_new_password

log = logging.getLogger(__name__)

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def new_id_tag() -> str:
    """A unique OCPP idTag (at most 20 characters)."""
    while True:
        tag = "CW" + secrets.token_hex(8).upper()  # 18 characters
        if db.session.execute(select(User.id).where(User.id_tag == tag)).first() is None:
            return tag


def register(email: str, name: str, password: str, role: str = "driver", battery_kwh: float | None = None) -> User:
    """Create an account; raises InvalidInput or Conflict with a message for the form."""
    email = (email or "").strip().lower()
    name = (name or "").strip()
    if not EMAIL.match(email):
        raise InvalidInput("Enter a valid email address.", {"field": "email"})
    if not name:
        raise InvalidInput("Enter your name.", {"field": "name"})
    check_new_password(password)
    if role not in ROLES:
        raise InvalidInput("Unknown role.", {"field": "role"})
    if battery_kwh is not None and not (5 <= battery_kwh <= 250):
        raise InvalidInput("Battery capacity must be between 5 and 250 kWh.", {"field": "battery_kwh"})
    if db.session.execute(select(User.id).where(func.lower(User.email) == email)).first():
        raise Conflict("An account with this email already exists.", {"field": "email"})
    user = User(email=email, name=name, role=role, id_tag=new_id_tag(), battery_kwh=battery_kwh)
    user.set_password(password)
    db.session.add(user)
    try:
        db.session.flush()
        audit.log("user.create", "user", user.id, None, audit.snapshot(user, ("email", "name", "role", "battery_kwh")))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("An account with this email already exists.", {"field": "email"})
    return user


def _dummy_check(password: str) -> None:
    """Spend the time a real password check takes, so an unknown email answers as slowly as a known one."""
    User(password_hash=_dummy_hash()).check_password(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash made the way real passwords are (werkzeug's default method), once per process."""
    return generate_password_hash(secrets.token_urlsafe(16))


def authenticate(email: str, password: str, ip: str | None = None) -> User:
    """Check credentials; failures are throttled per account+address and per address (login_limits), never by
    locking the account. Unknown and known emails get the same answer in similar time. Every failure is logged."""
    email = (email or "").strip().lower()
    login_limits.check_login(email, ip)
    user = db.session.execute(select(User).where(func.lower(User.email) == email)).scalar_one_or_none()
    if user is None:
        _dummy_check(password or "")
    if user is None or not user.check_password(password or ""):
        log.warning("Failed login for %s from %s", email, ip)
        login_limits.record_failure(email, ip)
        channel = audit.current_actor().via
        audit.log("login_failed", "user", email, actor=audit.Actor(user.id if user else None, channel, ip))
        db.session.commit()
        raise InvalidInput("Wrong email or password.")
    if not user.active:
        log.warning("Login refused for suspended account %s from %s", email, ip)
        raise Forbidden("This account is suspended. Contact support.")
    login_limits.forget_failures(email, ip)
    return user
