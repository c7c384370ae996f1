"""The account password policy: 10 to 128 characters, and not one of the most common passwords."""
from functools import lru_cache
from pathlib import Path

from ..errors import InvalidInput

MIN_LENGTH, MAX_LENGTH = 10, 128
COMMON_LIST = Path(__file__).resolve().parents[2] / "data" / "common_passwords.txt"


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    lines = COMMON_LIST.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def is_common(password: str) -> bool:
    """Whether the password is on the bundled list of the most common ones (ignoring case)."""
    return password.lower() in _common()


def check_new(password: str, field: str = "password") -> str:
    """The password if it may be used for an account; InvalidInput with the reason otherwise."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"The password needs at least {MIN_LENGTH} characters.", {"field": field})
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"The password can have at most {MAX_LENGTH} characters.", {"field": field})
    if is_common(password):
        raise InvalidInput("This password is one of the most common ones; choose another.", {"field": field})
    return password
