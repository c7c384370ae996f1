"""Signed tokens: the one place that wraps itsdangerous, always with an explicit max age.

Each purpose has its own salt, so a token minted for one thing is never accepted for another.
"""
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..errors import InvalidInput

#: QR stickers are printed and stuck on chargers: they never expire. Rotating QR_SIGNING_KEY revokes them all.
CONNECTOR_QR_MAX_AGE = None


class InvalidToken(InvalidInput):
    """A forged, altered, truncated or expired token."""

    status, code = 400, "invalid_token"


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["QR_SIGNING_KEY"], salt=f"chargeway.{purpose}")


def sign(purpose: str, data) -> str:
    """A URL-safe signed token carrying `data` (JSON-serialisable) for `purpose`."""
    return _serializer(purpose).dumps(data)


def unsign(purpose: str, token: str, max_age: int | None):
    """The data in `token`; raises InvalidToken when it is forged, altered or older than `max_age` seconds.

    `max_age=None` must be passed explicitly and means the token never expires.
    """
    try:
        return _serializer(purpose).loads(token or "", max_age=max_age)
    except SignatureExpired:
        raise InvalidToken("This code has expired. Ask for a new one.")
    except BadSignature:
        raise InvalidToken("This code is not valid: it was not issued by Chargeway or it was altered.")


def sign_connector(charge_point_id: str, connector_number: int) -> str:
    """The token printed (as a QR code) on one connector."""
    return sign("connector-qr", [charge_point_id, connector_number])


def unsign_connector(token: str) -> tuple[str, int]:
    """(charge point id, connector number) from a connector token; InvalidToken if forged or altered."""
    data = unsign("connector-qr", token, max_age=CONNECTOR_QR_MAX_AGE)
    if (not isinstance(data, list) or len(data) != 2 or not isinstance(data[0], str)
            or not isinstance(data[1], int) or isinstance(data[1], bool)):
        raise InvalidToken("This code is not valid: it was not issued by Chargeway or it was altered.")
    return data[0], data[1]
