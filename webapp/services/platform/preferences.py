"""Notification preferences: per driver, per kind of notification and per channel (in the app, by push, by
email). Each notification kind belongs to one preference kind below; only choices that differ from the
default are stored. Kinds outside these (staff alerts the driver pages never show, test notes) are in-app only."""
from dataclasses import dataclass

from sqlalchemy import delete, select

from ...extensions import db
from ...models import CHANNELS, NotificationPreference
from . import audit


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    hint: str
    kinds: tuple[str, ...]  # the notification kinds it covers
    defaults: tuple[bool, bool, bool]  # in_app, push, email


KINDS = (
    Kind("hold_expiring", "Hold about to expire", "Your hold runs out soon, or ran out.",
         ("hold_expiring", "hold_expired"), (True, True, False)),
    Kind("charging_started", "Charging started", "The car is charging.", ("charging_started",), (True, True, False)),
    Kind("quota_reached", "Quota reached", "You got what you paid for; charging stops.",
         ("quota_reached",), (True, True, False)),
    Kind("exit_grace", "Charging complete, time to unplug", "Unplug before the exit grace ends to avoid idle fees.",
         ("charging_complete",), (True, True, False)),
    Kind("overstay", "Overstay", "The exit grace passed and idle fees apply.", ("overstay",), (True, True, True)),
    Kind("receipt", "Receipts and payment confirmations", "Booking paid, amount charged, pre-authorisation released.",
         ("booking_confirmed", "slot_booked", "payment_captured", "payment_refunded", "balance_paid"),
         (True, False, True)),
    Kind("payment_problems", "Payment problems", "A payment failed, a capture could not be collected, a balance is owed.",
         ("payment_failed", "authorisation_declined"), (True, True, True)),
    Kind("booking_changes", "Bookings ended for you", "Cancelled by staff or maintenance, a charger fault, a no-show.",
         ("booking_cancelled", "booking_taken_over", "booking_force_finished", "reservation_refused",
          "charger_fault", "no_show"), (True, True, True)),
    Kind("account", "Account", "Password changed, account suspended or restored, balance waived.",
         ("password_changed", "account_suspended", "account_reactivated", "balance_waived"), (True, False, True)),
)
BY_KEY = {k.key: k for k in KINDS}
_OF = {kind: k for k in KINDS for kind in k.kinds}


def kind_of(notification_kind: str) -> Kind | None:
    """The preference kind a notification kind belongs to (None: in-app only, not configurable)."""
    return _OF.get(notification_kind)


def choices(user_id: int) -> dict[tuple[str, str], bool]:
    """{(preference kind, channel): on?} for every kind and channel, defaults filled in."""
    stored = {(p.kind, p.channel): p.enabled for p in db.session.execute(
        select(NotificationPreference).where(NotificationPreference.user_id == user_id)).scalars()}
    return {(k.key, channel): stored.get((k.key, channel), default)
            for k in KINDS for channel, default in zip(CHANNELS, k.defaults)}


def channels(user_id: int, notification_kind: str) -> set[str]:
    """The channels a notification of this kind goes out on for this user."""
    kind = kind_of(notification_kind)
    if kind is None:
        return {"in_app"}
    stored = {p.channel: p.enabled for p in db.session.execute(
        select(NotificationPreference).where(NotificationPreference.user_id == user_id,
                                             NotificationPreference.kind == kind.key)).scalars()}
    return {channel for channel, default in zip(CHANNELS, kind.defaults) if stored.get(channel, default)}


def save(user_id: int, wanted: dict[tuple[str, str], bool]) -> None:
    """Store the user's choices (every kind and channel given; defaults are not stored), audited, and commit."""
    unknown = [key for key in wanted if key[0] not in BY_KEY or key[1] not in CHANNELS]
    if unknown:
        raise ValueError(f"unknown preference {unknown[0]}")
    before = _changed(choices(user_id))
    db.session.execute(delete(NotificationPreference).where(NotificationPreference.user_id == user_id))
    for (key, channel), enabled in wanted.items():
        if enabled != BY_KEY[key].defaults[CHANNELS.index(channel)]:
            db.session.add(NotificationPreference(user_id=user_id, kind=key, channel=channel, enabled=enabled))
    after = _changed(wanted)
    if after != before:
        audit.log("user.notification_preferences", "user", user_id, {"changed": before}, {"changed": after})
    db.session.commit()


def _changed(values: dict[tuple[str, str], bool]) -> dict[str, bool]:
    """{"<kind>.<channel>": on} for the choices that differ from the defaults."""
    return {f"{k}.{c}": on for (k, c), on in sorted(values.items())
            if on != BY_KEY[k].defaults[CHANNELS.index(c)]}
