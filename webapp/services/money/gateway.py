"""The payment gateway interface and its simulated implementation.

Test numbers (card; UPI ids and wallets behave like the card that follows them):
  4242 4242 4242 4242  success                     success@upi   success
  4000 0000 0000 0002  declined                    decline@upi   declined
  4000 0000 0000 9995  insufficient funds          poor@upi      insufficient funds
  4000 0000 0000 0119  gateway error (retry later) error@upi     gateway error
  4000 0000 0000 0341  authorises, but the capture and every increment fail (leaves a balance owed)
Any other 16-digit number passing the Luhn check succeeds; wallets always succeed.

The simulated gateway plays an external service: it remembers what it answered for each idempotency key in
its own table (`gateway_records`), written on its own connection and committed at once, so every process
(web workers, RQ workers, a restarted one) answers a key the same way, and the caller's transaction (which
should not be open anyway, see services/money/payments.py) never sees or holds its rows.
"""
import hashlib
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import GatewayRecord


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
#: UPI is not a card: its declines are worded for the bank account and the UPI app behind the id.
UPI_OUTCOMES = {
    "decline@upi": ("declined", "Your bank declined this UPI payment. Check the request in your UPI app, "
                    "or use another UPI id."),
    "poor@upi": ("declined", "Not enough money in the bank account behind this UPI id."),
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


_TABLE = GatewayRecord.__table__


class SimulatedGateway:
    """Behaves like a card/UPI processor; remembers every idempotency key it has seen (in the database)."""

    def lookup(self, key: str) -> GatewayResult | None:
        """What the gateway answered for `key`, or None if it never received it (retrieve-by-key)."""
        with db.engine.connect() as conn:
            row = conn.execute(select(_TABLE.c.status, _TABLE.c.reference, _TABLE.c.reason)
                               .where(_TABLE.c.key == key)).first()
        return GatewayResult(*row) if row is not None else None

    def _once(self, key: str, compute) -> GatewayResult:
        found = self.lookup(key)
        if found is not None:
            return found
        result = compute()
        try:
            with db.engine.begin() as conn:
                conn.execute(insert(_TABLE).values(key=key, status=result.status, reference=result.reference,
                                                   reason=result.reason))
        except IntegrityError:  # another process answered the same key first: its answer stands
            return self.lookup(key)
        return result

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

    def increment(self, auth_ref: str, extra: int, key: str) -> GatewayResult:
        """Raise an authorisation by `extra` (incremental authorisation); same declines as its card."""
        def compute():
            if auth_ref.startswith("authx_"):
                return GatewayResult("declined", reason="The bank refused to raise the authorisation.")
            return GatewayResult("succeeded", self._ref("inc", key))

        return self._once(key, compute)

    def refund(self, ref: str, amount: int, key: str) -> GatewayResult:
        return self._once(key, lambda: GatewayResult("succeeded", self._ref("ref", key)))

    def void(self, auth_ref: str, key: str) -> GatewayResult:
        return self._once(key, lambda: GatewayResult("succeeded", self._ref("void", key)))

    def charge(self, amount: int, method: str, details: str, key: str) -> GatewayResult:
        """Authorise and capture at once (paying a balance); the answer is remembered under `key` too."""
        def compute():
            auth = self.authorise(amount, "", method, details, key + ":auth")
            if not auth.ok:
                return auth
            return self.capture(auth.reference, amount, key + ":settle")

        return self._once(key, compute)


_gateway = SimulatedGateway()


def get() -> SimulatedGateway:
    """The configured gateway (only the simulated one exists so far)."""
    return _gateway

