"""Sending a notification outside the app: by push to each of the driver's devices, and by email.

`notifications.notify` queues `jobs.notify.push` / `jobs.notify.email` after its transaction commits, when
the driver's preferences want that channel. Each job re-reads the notification and the preferences (turned
off since: nothing is sent), skips what a delivery row says was already sent (a retried or repeated job sends
each message once), sends with no transaction open, and records the outcome. A temporary failure raises, so
the job is retried (services/platform/timers.py RETRIED); the devices already reached are not sent again.
"""
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import Notification, NotificationDelivery, User
from ...timeutil import zoned
from . import mail, preferences, push


@dataclass(frozen=True)
class Note:
    """A notification read for sending (plain values: nothing lazy-loads after the transaction ends)."""
    id: int
    user_id: int
    kind: str
    title: str
    body: str
    link: str
    when: str  # its time on the station's clock, with the zone
    created_ms: int


def _load(notification_id: int, channel: str) -> tuple[Note, set[str]] | None:
    note = db.session.get(Notification, notification_id)
    if note is None or channel not in preferences.channels(note.user_id, note.kind):
        return None
    done = set(db.session.execute(select(NotificationDelivery.target).where(
        NotificationDelivery.notification_id == note.id, NotificationDelivery.channel == channel)).scalars())
    link = note.link if note.link and note.link.startswith("/") and not note.link.startswith("//") else "/notifications"
    return Note(note.id, note.user_id, note.kind, note.title, note.body, link,
                zoned(note.created_at, note.timezone, "%d %b %Y, %H:%M"),
                int(note.created_at.timestamp() * 1000)), done


def _record(note_id: int, channel: str, target: str, status: str, detail: str) -> None:
    try:
        with db.session.begin_nested():
            db.session.add(NotificationDelivery(notification_id=note_id, channel=channel, target=target,
                                                status=status, detail=detail[:300]))
    except IntegrityError:
        pass  # a concurrent run of the same job recorded it first
    db.session.commit()


def payload(note: Note) -> dict:
    """What the service worker shows (templates/driver/sw.js): the action opens the notification's page."""
    return {"title": note.title, "body": note.body, "url": note.link, "tag": f"note-{note.id}",
            "timestamp": note.created_ms, "action": _action_label(note.link),
            "urgency": "high" if note.kind in ("hold_expiring", "charging_complete", "overstay") else "normal"}


def _action_label(link: str) -> str:
    if link.endswith("/live"):
        return "Open the live session"
    if link.endswith("/receipt"):
        return "Open the receipt"
    if link.startswith("/bookings/"):
        return "Open the booking"
    if link.startswith("/account/balance"):
        return "Open your balance"
    return "Open"


def send_push(notification_id: int) -> int:
    """Push one notification to every device of its driver not reached yet; returns how many were sent now.
    Raises PushUnavailable (after trying every device) when one of them should be tried again."""
    loaded = _load(notification_id, "push") if push.enabled() else None
    if loaded is None:
        return 0
    note, done = loaded
    targets = [t for t in push.targets(note.user_id) if f"sub:{t.id}" not in done]
    db.session.commit()  # no transaction open while we talk to the push services
    sent, retry = 0, None
    for target in targets:
        try:
            status, detail = push.send(target, payload(note))
        except push.PushUnavailable as exc:
            retry = exc
            continue
        _record(note.id, "push", f"sub:{target.id}", status, detail)
        sent += status == "sent"
    if retry is not None:
        raise retry
    return sent


def email_text(note: Note, user: User) -> str:
    base = (current_app.config.get("PUBLIC_URL")
            or f"http://{current_app.config.get('HOST', '127.0.0.1')}:{current_app.config.get('PORT', 5000)}").rstrip("/")
    kind = preferences.kind_of(note.kind)
    lines = [f"Hello {user.name},", "", note.title, "", note.body, "", f"Sent {note.when}.", f"Open: {base}{note.link}",
             "", "--", "Chargeway"]
    if kind is not None:
        lines.append(f"You get this email because \"{kind.label}\" emails are on. "
                     f"Change that here: {base}/account/notifications")
    return "\n".join(lines) + "\n"


def send_email(notification_id: int) -> bool:
    """Email one notification to its driver, once. Raises MailUnavailable when it should be tried again."""
    loaded = _load(notification_id, "email") if mail.enabled() else None
    if loaded is None or "email" in loaded[1]:
        return False
    note = loaded[0]
    user = db.session.get(User, note.user_id)
    message = mail.compose(user.email, f"Chargeway: {note.title}", email_text(note, user))
    db.session.commit()  # no transaction open while we talk to the mail server
    status, detail = mail.send(message)
    _record(note.id, "email", "email", status, detail)
    return status == "sent"
