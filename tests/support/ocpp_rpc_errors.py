"""What the ocpp-rpc harness raises (see tests/support/ocpp_rpc.py)."""
from __future__ import annotations

from typing import Any, Optional


class OcppRpcHarnessError(RuntimeError):
    """The harness itself failed (node missing, process died, bad output...)."""


class OcppRpcConnectError(OcppRpcHarnessError):
    """The websocket connection could not be opened.

    ``http_status`` is the HTTP status of a refused upgrade (e.g. 401) or None.
    """

    def __init__(self, message: str, http_status: Optional[int] = None, event: Optional[dict] = None):
        super().__init__(message)
        self.http_status = http_status
        self.event = event or {}


class OcppRpcTimeout(OcppRpcHarnessError, TimeoutError):
    """Nothing arrived in time."""


class OcppRpcError(Exception):
    """A call() did not produce a CALLRESULT.

    Attributes:
      code              OCPP error code (``rpcErrorCode``): the CALLERROR code
                        sent by the server, or the code of a local validation
                        failure (e.g. "OccurenceConstraintViolation"); None
                        for timeouts / disconnects.
      message           error description.
      error_class       ocpp-rpc error class, e.g. "RPCNotImplementedError",
                        "RPCOccurenceConstraintViolationError", "TimeoutError".
      details           CALLERROR details / ajv validation errors.
      strict_violation  False, "server" (the server's CALLRESULT failed the
                        schema) or "local" (our own CALL failed the schema and
                        was not sent).
      event             the raw event dict.
    """

    def __init__(self, code: Optional[str], message: str, *, error_class: Optional[str] = None,
                 details: Any = None, strict_violation: Any = False, event: Optional[dict] = None):
        super().__init__(f"{code}: {message}" if code else message)
        self.code = code
        self.message = message
        self.error_class = error_class
        self.details = details
        self.strict_violation = strict_violation
        self.event = event or {}
