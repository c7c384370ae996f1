"""Bearer tokens for the JSON API: issue (email + password), verify, refresh (rotating), revoke.

Tokens are random strings shown once; only their SHA-256 digests are stored, so a database leak does
not leak usable tokens. Suspended accounts are refused at every step, including with a valid token.
"""
import dataclasses
import hashlib
import logging
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from ...extensions import db
from ...models import ApiToken, User
from ...timeutil import utcnow
from . import accounts
from ..errors import Forbidden, InvalidInput, Unauthorized
from ..platform import audit

log = logging.getLogger(__name__)

ACCESS_PREFIX, REFRESH_PREFIX = "cwa_", "cwr_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _new(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def _check_active(user: User) -> None:
    if not user.active:
        raise Forbidden("This account is suspended. Contact support.")


def issue_for(user: User, client: str | None = None) -> tuple[ApiToken, str, str]:
    """Create a token pair for an already authenticated user: (row, access token, refresh token)."""
    _check_active(user)
    cfg, now = current_app.config, utcnow()
    access, refresh = _new(ACCESS_PREFIX), _new(REFRESH_PREFIX)
    row = ApiToken(user_id=user.id, access_hash=_digest(access), refresh_hash=_digest(refresh),
                   expires_at=now + timedelta(minutes=cfg.get("API_TOKEN_MINUTES", 60)),
                   refresh_expires_at=now + timedelta(days=cfg.get("API_REFRESH_DAYS", 30)),
                   client=(client or "")[:120] or None, created_at=now)
    db.session.add(row)
    db.session.flush()
    _audit("token.issue", row)
    db.session.commit()
    return row, access, refresh


def _audit(action: str, row: ApiToken) -> None:
    """Token changes are audited as the token's user (no one is signed in while a token is issued)."""
    actor = dataclasses.replace(audit.current_actor(), user_id=row.user_id)
    audit.log(action, "api_token", row.id, None, {"client": row.client}, actor=actor)


def issue(email: str, password: str, ip: str | None = None, client: str | None = None) -> tuple[ApiToken, str, str]:
    """Email and password (with the pages' lock-out rules) give a new token pair."""
    try:
        user = accounts.authenticate(email, password, ip)
    except InvalidInput as exc:  # wrong email or password: for an API that is 401, not a form error
        raise Unauthorized(exc.message) from None
    return issue_for(user, client)


def verify(access_token: str) -> tuple[User, ApiToken]:
    """The user behind a Bearer token; Unauthorized if unknown, expired or revoked, Forbidden if suspended."""
    row = db.session.execute(select(ApiToken).where(ApiToken.access_hash == _digest(access_token or ""))
                             ).scalar_one_or_none()
    now = utcnow()
    if row is None or row.revoked_at is not None:
        raise Unauthorized("The access token is not valid. Sign in again.")
    if row.expires_at <= now:
        raise Unauthorized("The access token has expired. Refresh it.", {"expired": True})
    _check_active(row.user)
    return row.user, row


def refresh(refresh_token: str, client: str | None = None) -> tuple[ApiToken, str, str]:
    """Swap a refresh token for a new pair; the old pair stops working at once (rotation)."""
    digest, now = _digest(refresh_token or ""), utcnow()
    row = db.session.execute(select(ApiToken).where(ApiToken.refresh_hash == digest).with_for_update()
                             ).scalar_one_or_none()
    if row is None or row.revoked_at is not None or row.refresh_expires_at <= now:
        db.session.rollback()
        raise Unauthorized("The refresh token is not valid. Sign in again.")
    user = row.user
    try:
        _check_active(user)
    finally:
        row.revoked_at = now
        _audit("token.refresh", row)
        db.session.commit()
    return issue_for(user, client or row.client)


def revoke(row: ApiToken) -> None:
    """Revoke one token pair (sign out of that app)."""
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        _audit("token.revoke", row)
    db.session.commit()


def revoke_all(user_id: int, commit: bool = True) -> int:
    """Revoke every live token of a user (suspension, password change); returns how many."""
    result = db.session.execute(update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
                                .values(revoked_at=utcnow()))
    if commit:
        db.session.commit()
    return result.rowcount or 0


def touch(row: ApiToken) -> None:
    """Remember when a token was last used, at most once a minute (no write on every request)."""
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        row.last_used_at = now
        db.session.commit()
