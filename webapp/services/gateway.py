"""The payment gateway interface and its simulated implementation.

Test numbers (card; UPI ids and wallets behave like the card that follows them):
  4242 4242 4242 4242  success                     success@upi   success
  4000 0000 0000 0002  declined                    decline@upi   declined
  4000 0000 0000 9995  insufficient funds          poor@upi      insufficient funds
  4000 0000 0000 0119  gateway error (retry later) error@upi     gateway error
  4000 0000 0000 0341  authorises, but the capture fails (leaves a debt)
Any other 16-digit number passing the Luhn check succeeds; wallets always succeed.
"""
import hashlib
import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class GatewayResult:
    status: str  # succeeded | declined | failed
    reference: str | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"


class GatewayError(Exception):
    """The gateway could not be reached or answered garbage: safe to retry with the same key."""


CARD_OUTCOMES = {
    "4000000000000002": ("declined", "Your card was declined."),
    "4000000000009995": ("declined", "Insufficient funds."),
    "4000000000000119": ("failed", "The payment gateway had an error. Please try again."),
}
UPI_OUTCOMES = {
    "decline@upi": CARD_OUTCOMES["4000000000000002"],
    "poor@upi": CARD_OUTCOMES["4000000000009995"],
    "error@upi": CARD_OUTCOMES["4000000000000119"],
}
CAPTURE_FAILS = "4000000000000341"


def luhn_ok(number: str) -> bool:
    digits = [int(d) for d in number]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


class SimulatedGateway:
    """Behaves like a card/UPI processor; remembers every idempotency key it has seen."""

    def __init__(self):
        self._seen: dict[str, GatewayResult] = {}
        self._lock = threading.Lock()

    def _once(self, key: str, compute) -> GatewayResult:
        with self._lock:
            if key not in self._seen:
                self._seen[key] = compute()
            return self._seen[key]

    @staticmethod
    def _ref(prefix: str, key: str) -> str:
        return f"{prefix}_{hashlib.sha256(key.encode()).hexdigest()[:16]}"

    def authorise(self, amount: int, currency: str, method: str, details: str, key: str) -> GatewayResult:
        def compute():
            if method == "card":
                number = "".join(ch for ch in details if ch.isdigit())
                if len(number) != 16 or not luhn_ok(number):
                    return GatewayResult("declined", reason="That card number is not valid.")
                if number in CARD_OUTCOMES:
                    status, reason = CARD_OUTCOMES[number]
                    return GatewayResult(status, reason=reason)
                # The reference itself carries the capture failure, so any process can simulate it.
                return GatewayResult("succeeded", self._ref("authx" if number == CAPTURE_FAILS else "auth", key))
            if method == "upi":
                vpa = details.strip().lower()
                if "@" not in vpa:
                    return GatewayResult("declined", reason="Enter a UPI id such as name@bank.")
                if vpa in UPI_OUTCOMES:
                    status, reason = UPI_OUTCOMES[vpa]
                    return GatewayResult(status, reason=reason)
                return GatewayResult("succeeded", self._ref("upi", key))
            if method == "wallet":
                return GatewayResult("succeeded", self._ref("wal", key))
            return GatewayResult("declined", reason=f"Unknown payment method {method!r}.")

        return self._once(key, compute)

    def capture(self, auth_ref: str, amount: int, key: str) -> GatewayResult:
        def compute():
            if auth_ref.startswith("authx_") and not key.endswith(":settle"):
                return GatewayResult("failed", reason="The bank refused the capture.")
            return GatewayResult("succeeded", self._ref("cap", key))

        return self._once(key, compute)

    def refund(self, ref: str, amount: int, key: str) -> GatewayResult:
        return self._once(key, lambda: GatewayResult("succeeded", self._ref("ref", key)))

    def void(self, auth_ref: str, key: str) -> GatewayResult:
        return self._once(key, lambda: GatewayResult("succeeded", self._ref("void", key)))

    def charge(self, amount: int, method: str, details: str, key: str) -> GatewayResult:
        """Authorise and capture at once (settling a debt)."""
        auth = self.authorise(amount, "", method, details, key + ":auth")
        if not auth.ok:
            return auth
        return self.capture(auth.reference, amount, key + ":settle")


_gateway = SimulatedGateway()


def get() -> SimulatedGateway:
    """The configured gateway (only the simulated one exists so far)."""
    return _gateway


def reset() -> None:
    """Forget every idempotency key (tests start each database from scratch, so ids and keys repeat)."""
    global _gateway
    _gateway = SimulatedGateway()
