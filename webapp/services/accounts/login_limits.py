"""Throttling guesses with Flask-Limiter's storage (Redis in production, memory embedded).

Only failures count: per account+address (`LOGIN_FAILURES_PER_ACCOUNT_ADDRESS`) so a guesser is slowed on
that account while its owner, from anywhere else, still signs in; per address (`LOGIN_FAILURES_PER_ADDRESS`)
so one address cannot walk through many accounts. There is no account-wide lock: anyone could trigger one.
Registration attempts are limited per address (`REGISTER_LIMIT`), which bounds probing for taken emails.
"""
from flask import current_app
from limits import parse_many

from ...extensions import limiter
from ..errors import Forbidden


class RateLimited(Forbidden):
    status, code = 429, "rate_limited"


def _items(setting: str):
    return parse_many(current_app.config[setting])


def _keys(email: str, ip: str | None) -> list[tuple[str, tuple[str, ...]]]:
    address = ip or "unknown"
    return [("LOGIN_FAILURES_PER_ACCOUNT_ADDRESS", ("login-account", (email or "").lower()[:254], address)),
            ("LOGIN_FAILURES_PER_ADDRESS", ("login-address", address))]


def check_login(email: str, ip: str | None) -> None:
    """RateLimited when this account+address or this address has used up its failures."""
    for setting, key in _keys(email, ip):
        if not all(limiter.limiter.test(item, *key) for item in _items(setting)):
            raise RateLimited("Too many failed logins. Try again in a few minutes.")


def record_failure(email: str, ip: str | None) -> None:
    """Count one failed login against the account+address and the address."""
    for setting, key in _keys(email, ip):
        for item in _items(setting):
            limiter.limiter.hit(item, *key)


def forget_failures(email: str, ip: str | None) -> None:
    """A successful login clears that account+address's failures (a typo or two is forgotten)."""
    setting, key = _keys(email, ip)[0]
    for item in _items(setting):
        limiter.limiter.clear(item, *key)


def check_registration(ip: str | None) -> None:
    """Count one registration attempt from this address; RateLimited past REGISTER_LIMIT."""
    key = ("register", ip or "unknown")
    if not all(limiter.limiter.hit(item, *key) for item in _items("REGISTER_LIMIT")):
        raise RateLimited("Too many sign-ups from your network. Try again later.")
