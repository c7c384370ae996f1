"""Accounts: registration, authentication with lock-out, roles, suspension."""
import logging
import re
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import ROLES, AuditLog, User
from ..timeutil import utcnow
from .errors import Conflict, Forbidden, InvalidInput
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
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("An account with this email already exists.", {"field": "email"})
    return user


class RateLimited(Forbidden):
    status, code = 429, "rate_limited"


def _recent_failures(ip: str, since) -> int:
    """Failed logins from one address since `since` (recorded in the audit log)."""
    return db.session.execute(select(func.count(AuditLog.id)).where(
        AuditLog.action == "login_failed", AuditLog.ip == ip, AuditLog.created_at >= since)).scalar_one()


def authenticate(email: str, password: str, ip: str | None = None) -> User:
    """Check credentials; repeated failures lock the account for a while. Every failure is logged."""
    email = (email or "").strip().lower()
    now = utcnow()
    cfg = current_app.config
    if ip and _recent_failures(ip, now - timedelta(minutes=cfg["LOGIN_IP_WINDOW_MINUTES"])) >= \
            cfg["LOGIN_IP_MAX_FAILURES"]:
        log.warning("Login refused for %s: too many failures from %s", email, ip)
        raise RateLimited("Too many failed logins from your network. Try again in a few minutes.")
    user = db.session.execute(select(User).where(func.lower(User.email) == email).with_for_update()).scalar_one_or_none()
    if user is not None and user.locked_until and user.locked_until > now:
        log.warning("Login refused for locked account %s from %s", email, ip)
        minutes = int((user.locked_until - now).total_seconds() // 60) + 1
        raise Forbidden(f"Too many failed attempts. Try again in {minutes} min.")
    if user is None or not user.check_password(password or ""):
        log.warning("Failed login for %s from %s", email, ip)
        db.session.add(AuditLog(user_id=user.id if user else None, action="login_failed", target_type="user",
                                target_id=email[:64], ip=(ip or "")[:45] or None, created_at=now))
        if user is not None:
            user.failed_logins += 1
            if user.failed_logins >= cfg["LOGIN_MAX_FAILURES"]:
                user.locked_until = now + timedelta(minutes=cfg["LOGIN_LOCKOUT_MINUTES"])
                user.failed_logins = 0
                log.warning("Account %s locked until %s", email, user.locked_until)
        db.session.commit()
        raise InvalidInput("Wrong email or password.")
    if not user.active:
        log.warning("Login refused for suspended account %s from %s", email, ip)
        raise Forbidden("This account is suspended. Contact support.")
    user.failed_logins, user.locked_until = 0, None
    db.session.commit()
    return user
