"""Named domain errors; each view turns them into a message and each API into a status code."""


class DomainError(Exception):
    """Base class: `status` is the HTTP status the JSON API answers with."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}


class NotFound(DomainError):
    status, code = 404, "not_found"


class Unauthorized(DomainError):
    """Missing, expired, revoked or wrong credentials (API tokens, device passwords)."""

    status, code = 401, "unauthorized"


class Forbidden(DomainError):
    status, code = 403, "forbidden"


class StationClosed(Forbidden):
    code = "station_closed"


class Conflict(DomainError):
    status, code = 409, "conflict"


class InvalidInput(DomainError):
    status, code = 422, "invalid_input"


class PaymentFailed(DomainError):
    status, code = 402, "payment_failed"


class ChargerUnavailable(Conflict):
    code = "charger_unavailable"


class CommandFailed(DomainError):
    """A charger did not accept a command, was not connected, or did not answer in time."""

    status, code = 502, "command_failed"


class ChargerNotConnected(CommandFailed):
    """No socket of the charger is open anywhere: nothing was sent."""
