"""The driver's balance as a ledger: "owed" entries (a booking's shortfall, once per booking), "paid" entries
(a balance payment, spread over the bookings it settles) and "waived" entries (staff, with a reason).

outstanding = owed - paid - waived, per booking and per driver. Every entry has a unique key, so the same
shortfall, payment or waiver can be written any number of times and counts once. The callers commit.
"""
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import BalanceEntry, Booking, User

_SIGNED = case((BalanceEntry.kind == "owed", BalanceEntry.amount), else_=-BalanceEntry.amount)


@dataclass(frozen=True)
class Owed:
    booking_id: int | None
    owed: int
    paid: int
    waived: int

    @property
    def due(self) -> int:
        return max(0, self.owed - self.paid - self.waived)


def outstanding(user_id: int) -> int:
    """What the driver still owes, in minor units (0 when nothing)."""
    total = db.session.execute(select(func.coalesce(func.sum(_SIGNED), 0))
                               .where(BalanceEntry.user_id == user_id)).scalar_one()
    return max(0, int(total))


def currency_of(user_id: int) -> str:
    """The currency of the driver's latest entry (one currency per driver in practice)."""
    return db.session.execute(select(BalanceEntry.currency).where(BalanceEntry.user_id == user_id)
                              .order_by(BalanceEntry.id.desc()).limit(1)).scalar() or "INR"


def by_booking(user_id: int) -> list[Owed]:
    """Per booking: owed, paid and waived (entries without a booking, from before the ledger, come last)."""
    rows = db.session.execute(
        select(BalanceEntry.booking_id, BalanceEntry.kind, func.sum(BalanceEntry.amount))
        .where(BalanceEntry.user_id == user_id).group_by(BalanceEntry.booking_id, BalanceEntry.kind)).all()
    sums: dict[int | None, dict[str, int]] = {}
    for booking_id, kind, amount in rows:
        sums.setdefault(booking_id, {})[kind] = int(amount)
    return [Owed(b, s.get("owed", 0), s.get("paid", 0), s.get("waived", 0))
            for b, s in sorted(sums.items(), key=lambda item: (item[0] is None, item[0] or 0))]


def of_booking(booking_id: int) -> Owed:
    """The shortfall of one booking and what has been paid or waived of it."""
    rows = db.session.execute(select(BalanceEntry.kind, func.sum(BalanceEntry.amount))
                              .where(BalanceEntry.booking_id == booking_id).group_by(BalanceEntry.kind)).all()
    sums = {kind: int(amount) for kind, amount in rows}
    return Owed(booking_id, sums.get("owed", 0), sums.get("paid", 0), sums.get("waived", 0))


def add(key: str, user_id: int, kind: str, amount: int, currency: str, booking_id: int | None = None,
        reason: str | None = None, staff_user_id: int | None = None, payment_id: int | None = None) -> bool:
    """Write one entry unless its key exists; returns whether it was written."""
    if amount <= 0 or db.session.execute(select(BalanceEntry.id).where(BalanceEntry.entry_key == key)).first():
        return False
    try:
        with db.session.begin_nested():
            db.session.add(BalanceEntry(entry_key=key, user_id=user_id, kind=kind, amount=amount, currency=currency,
                                        booking_id=booking_id, reason=reason, staff_user_id=staff_user_id,
                                        payment_id=payment_id))
    except IntegrityError:  # the same entry written by a concurrent retry: it counts once
        return False
    return True


def owe(booking: Booking, amount: int, reason: str) -> bool:
    """Record a booking's shortfall on its driver's balance (once per booking)."""
    return add(f"owed:booking:{booking.id}", booking.user_id, "owed", amount, booking.currency, booking.id, reason)


def lock_user(user_id: int) -> None:
    """Serialise changes to one driver's balance (a payment's allocation, a waiver)."""
    db.session.execute(select(User.id).where(User.id == user_id).with_for_update())


def spread(user_id: int, kind: str, amount: int, key: str, currency: str, reason: str | None = None,
           staff_user_id: int | None = None, payment_id: int | None = None) -> int:
    """Apply `amount` paid or waived to the driver's oldest dues first; returns how much was applied."""
    lock_user(user_id)
    left = min(amount, outstanding(user_id))
    amount = left
    for owed in by_booking(user_id):
        if left <= 0:
            break
        part = min(left, owed.due)
        if part > 0 and add(f"{key}:{owed.booking_id or 0}", user_id, kind, part, currency, owed.booking_id, reason,
                            staff_user_id, payment_id):
            left -= part
    return amount - left
