"""Web Push (RFC 8030 delivery, RFC 8291 aes128gcm encryption, RFC 8292 VAPID) through pywebpush.

A subscription is one browser on one device (its endpoint is unique); a driver who agreed on the preferences
page has one per phone or browser. Sending happens in jobs only (jobs/notify.py), with no transaction open:
a 404 or 410 from the push service means the browser dropped the subscription, so it is deleted; a 5xx, a 429
or no answer raises `PushUnavailable` and the job is retried; any other refusal is recorded and not retried.
"""
import base64
import json
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from flask import current_app
from py_vapid import Vapid
from pywebpush import WebPushException, webpush
from requests import RequestException
from sqlalchemy import delete, select

from ...extensions import db
from ...models import PushSubscription
from ...timeutil import utcnow
from ..errors import DomainError, InvalidInput, NotFound
from . import signing

log = logging.getLogger(__name__)

#: The Flask session key holding the subscription made in this browser session (forgotten at logout).
SESSION_KEY = "push_subscription"

#: What a push service answers when the subscription no longer exists (RFC 8030 7.3: 404; 410 Gone).
GONE = (404, 410)


class PushNotConfigured(DomainError):
    """This server has no VAPID key: it cannot push."""

    status, code = 503, "push_not_configured"


class PushUnavailable(RuntimeError):
    """The push service did not take the message now (5xx, 429, no answer): try again later."""


@dataclass(frozen=True)
class Target:
    """What sending needs of a subscription, read before the transaction ends."""
    id: int
    endpoint: str
    p256dh: str
    auth: str


def enabled() -> bool:
    """Whether this deployment can push (a VAPID key is configured)."""
    return bool(current_app.config.get("VAPID_PRIVATE_KEY"))


def _vapid() -> Vapid:
    key = current_app.config["VAPID_PRIVATE_KEY"]
    cached = current_app.extensions.get("chargeway_vapid")
    if cached is None or cached[0] != key:
        text = key.strip()
        vapid = Vapid.from_pem(text.encode()) if text.startswith("-----BEGIN") else Vapid.from_string(text)
        cached = current_app.extensions["chargeway_vapid"] = (key, vapid)
    return cached[1]


def public_key() -> str:
    """The VAPID public key as the browser's `applicationServerKey` (uncompressed P-256 point, base64url)."""
    raw = _vapid().public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _subject() -> str:
    subject = current_app.config.get("VAPID_SUBJECT")
    if subject:
        return subject
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    return "mailto:" + sender.rpartition("<")[2].rstrip(">").strip()


def _b64(value: str, size: int, field: str, what: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (ValueError, TypeError):
        raise InvalidInput(f"The browser's {what} is not base64url.", {"field": field})
    if len(raw) != size:
        raise InvalidInput(f"The browser's {what} has the wrong length.", {"field": field})
    return value


def check_endpoint(endpoint: str) -> str:
    """An endpoint we may post to: https on a known push service host (PUSH_SERVICE_HOSTS). An entry written
    `http://host` allows plain http to exactly that host (a local push service in tests)."""
    parts = urlsplit(endpoint)
    host = (parts.hostname or "").lower()
    for entry in current_app.config["PUSH_SERVICE_HOSTS"]:
        if entry.startswith("http://"):
            allowed = urlsplit(entry)
            if parts.scheme == "http" and host == allowed.hostname and (allowed.port in (None, parts.port)):
                return endpoint
        elif parts.scheme == "https" and (host == entry or host.endswith("." + entry)):
            return endpoint
    raise InvalidInput("This browser's push service is not one we send to.", {"field": "endpoint"})


def subscribe(user_id: int, endpoint: str, p256dh: str, auth: str, user_agent: str = "") -> PushSubscription:
    """Store this device's subscription for the user (the same endpoint again updates it, whoever had it:
    a shared browser belongs to whoever subscribed last) and commit."""
    check_endpoint(endpoint)
    _b64(p256dh, 65, "p256dh", "public key")
    _b64(auth, 16, "auth", "auth secret")
    sub = db.session.execute(select(PushSubscription).where(PushSubscription.endpoint == endpoint)
                             .with_for_update()).scalar_one_or_none()
    if sub is None:
        sub = PushSubscription(endpoint=endpoint)
        db.session.add(sub)
    sub.user_id, sub.p256dh, sub.auth, sub.user_agent = user_id, p256dh, auth, (user_agent or "")[:300]
    db.session.commit()
    return sub


def renewal_token(sub: PushSubscription) -> str:
    """What the service worker keeps to replace its subscription when the browser changes it
    (`pushsubscriptionchange` runs without the page, so without a CSRF token)."""
    return signing.sign("push-renew", [sub.id, sub.auth])


def renew(token: str, endpoint: str, p256dh: str, auth: str, user_agent: str = "") -> PushSubscription:
    """Replace the subscription `token` was issued for with the browser's new one (InvalidToken if forged,
    NotFound once that subscription is gone or was already replaced)."""
    data = signing.unsign("push-renew", token, max_age=None)
    if not isinstance(data, list) or len(data) != 2:
        raise signing.InvalidToken("This renewal is not valid.")
    sub = db.session.get(PushSubscription, data[0], with_for_update=True)
    if sub is None or sub.auth != data[1]:
        raise NotFound("This device's old subscription is gone; turn push on again on the preferences page.")
    user_id = sub.user_id
    if sub.endpoint != endpoint:
        db.session.delete(sub)
        db.session.flush()
    return subscribe(user_id, endpoint, p256dh, auth, user_agent)


def devices(user_id: int) -> list[PushSubscription]:
    return list(db.session.execute(select(PushSubscription).where(PushSubscription.user_id == user_id)
                                   .order_by(PushSubscription.id)).scalars())


def has_device(user_id: int) -> bool:
    return db.session.execute(select(PushSubscription.id).where(PushSubscription.user_id == user_id)
                              .limit(1)).first() is not None


def remove(user_id: int, sub_id: int) -> bool:
    """Forget one of the user's devices (False if it is not theirs or already gone) and commit."""
    gone = db.session.execute(delete(PushSubscription).where(PushSubscription.id == sub_id,
                                                             PushSubscription.user_id == user_id)).rowcount
    db.session.commit()
    return bool(gone)


def targets(user_id: int) -> list[Target]:
    return [Target(s.id, s.endpoint, s.p256dh, s.auth) for s in devices(user_id)]


def send(target: Target, payload: dict) -> tuple[str, str]:
    """Encrypt and post one message (call with no transaction open). Returns ("sent" | "gone" | "failed",
    detail); a gone subscription is deleted. Raises PushUnavailable when it is worth trying again."""
    cfg = current_app.config
    try:
        response = webpush({"endpoint": target.endpoint, "keys": {"p256dh": target.p256dh, "auth": target.auth}},
                           json.dumps(payload), vapid_private_key=_vapid(), vapid_claims={"sub": _subject()},
                           ttl=cfg["PUSH_TTL_SECONDS"], timeout=cfg["PUSH_TIMEOUT_SECONDS"],
                           headers={"Urgency": payload.get("urgency", "normal")})
    except WebPushException as exc:
        status = exc.status_code
        if status in GONE:
            db.session.execute(delete(PushSubscription).where(PushSubscription.id == target.id))
            db.session.commit()
            log.info("Push subscription %s is gone (%s): removed", target.id, status)
            return "gone", f"HTTP {status}"
        if status is None or status >= 500 or status == 429:
            raise PushUnavailable(f"push service answered {status}") from exc
        log.warning("Push to subscription %s refused: HTTP %s", target.id, status)
        return "failed", f"HTTP {status}"
    except RequestException as exc:
        raise PushUnavailable(f"push service unreachable: {exc.__class__.__name__}") from exc
    sub = db.session.get(PushSubscription, target.id)
    if sub is not None:
        sub.last_sent_at = utcnow()
        db.session.commit()
    return "sent", f"HTTP {response.status_code}"
