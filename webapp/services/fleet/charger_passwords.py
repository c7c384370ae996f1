"""Charger passwords (HTTP Basic, OCPP security profile 1): generated and checked to 16-20 characters.

The OCPP 1.6 security whitepaper makes the AuthorizationKey 16 to 20 bytes, and stock firmware such as
MicroOcpp refuses a longer one. A password staff set (the one a charger's firmware came with) must be
16-20 printable ASCII characters: what a charger can send in an HTTP Basic header and an operator can
type. Spaces are refused too: one typed at either end is invisible and the charger is locked out.
"""
import secrets
import string

from ...models.charger import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from ..errors import InvalidInput

# Letters and digits without look-alikes (0/O, 1/l/I), so a password read off a screen is typed right:
# 57 symbols, about 117 bits in 20 characters.
ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")
PRINTABLE = frozenset(chr(code) for code in range(0x21, 0x7F))  # printable ASCII without the space


def generate() -> str:
    """A new random password of the longest allowed length."""
    return "".join(secrets.choice(ALPHABET) for _ in range(PASSWORD_MAX_LENGTH))


def validate(password: str | None) -> str:
    """The password if it is 16-20 printable ASCII characters without spaces; else InvalidInput saying why."""
    password = password or ""
    if not PASSWORD_MIN_LENGTH <= len(password) <= PASSWORD_MAX_LENGTH:
        raise InvalidInput(f"A charger password is {PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters "
                           f"(OCPP 1.6 security whitepaper; longer keys are refused by many chargers); this one "
                           f"is {len(password)}.", {"field": "password"})
    if " " in password:
        raise InvalidInput("A charger password has no spaces.", {"field": "password"})
    wrong = sorted({c for c in password if c not in PRINTABLE})
    if wrong:
        raise InvalidInput("A charger password is printable ASCII only: letters, digits and symbols such as "
                           f"- _ . ! @ (not {' '.join(wrong)}).", {"field": "password"})
    return password
