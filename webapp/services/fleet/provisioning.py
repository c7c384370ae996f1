"""Charger keys: ChangeConfiguration AuthorizationKey (OCPP 1.6 security profile 1). Auto-registered chargers
get one at their first boot; staff rotate one from the console. The id requires a key only once the charger
took it (services/fleet/charger_auth.py), so a connected charger is never locked out by its own new password."""
import logging
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select, update

from ...extensions import db
from ...models import Charger
from ...models.charger import password_hash
from . import charger_auth, charger_passwords
from ..platform import audit, commands, events
from ..errors import ChargerNotConnected, CommandFailed, Conflict

log = logging.getLogger(__name__)

#: ChangeConfiguration answers after which the charger uses the key (RebootRequired: after its reboot).
TAKEN = ("Accepted", "RebootRequired")


def needs_key(cp_id: str) -> bool:
    """Whether this charger should be given a key now: auto-registration is on and it has none."""
    if not current_app.config["OCPP_AUTO_REGISTER"]:
        return False
    password_hash = db.session.execute(select(Charger.password_hash).where(Charger.charge_point_id == cp_id)
                                       ).one_or_none()
    return password_hash is not None and password_hash[0] is None


def provision(cp_id: str, call: Callable[[str, dict, float], dict]) -> bool:
    """Send the charger a new AuthorizationKey through `call` and, once it takes it, require it."""
    key = charger_passwords.generate()
    try:
        answer = call("ChangeConfiguration", {"key": "AuthorizationKey", "value": key},
                      current_app.config["OCPP_CALL_TIMEOUT"])
        status = answer.get("status", "Rejected")
    except CommandFailed as exc:
        status = f"no answer ({exc})"
    charger_id = db.session.execute(select(Charger.id).where(Charger.charge_point_id == cp_id)).scalar_one()
    if status not in TAKEN:
        log.warning("%s did not take its AuthorizationKey: %s", cp_id, status)
        events.record(charger_id, "security", f"AuthorizationKey not provisioned: {status}; retried at next boot")
        db.session.commit()
        return False
    # Only a charger still without a key: staff may have set one meanwhile, and theirs wins.
    stored = db.session.execute(update(Charger).where(Charger.id == charger_id, Charger.password_hash.is_(None))
                                .values(password_hash=password_hash(key, generated=True), password_outdated=False)
                                .returning(Charger.id)).scalar_one_or_none()
    if stored is not None:
        charger_auth.changed(cp_id)
        events.record(charger_id, "security", f"AuthorizationKey provisioned ({status}); the id now requires it")
        audit.log("charger.password_provisioned", "charger", charger_id, None, {"answer": status})
        log.info("%s: AuthorizationKey provisioned", cp_id)
    db.session.commit()
    return stored is not None


@dataclass(frozen=True)
class Rotation:
    password: str
    #: The charger's answer when it was sent the key (Accepted, RebootRequired); None: it was offline.
    answer: str | None


def rotate(charger: Charger) -> Rotation:
    """A new generated password for `charger`, returned once. Audited (never the password).

    An online charger is sent it first and the id requires it only once the charger took it; when the charger
    refuses or does not answer, its old password stays in force and Conflict says why (nothing changed). An
    offline charger gets it at once: staff enter it in its configuration, and it is refused until it does."""
    key, charger_id, cp_id = charger_passwords.generate(), charger.id, charger.charge_point_id
    answer = None
    if charger.online:
        try:
            answer = commands.send(cp_id, "ChangeConfiguration", {"key": "AuthorizationKey", "value": key})
            answer = answer.get("status", "Rejected")
        except ChargerNotConnected:
            answer = None  # no socket anywhere, whatever the last-seen flag says: as offline
        except CommandFailed as exc:
            answer = f"no answer ({exc.message})"
        if answer is not None and answer not in TAKEN:
            events.record(charger_id, "security", f"New AuthorizationKey not taken: {answer}; the old one stays")
            db.session.commit()
            raise Conflict(f"{cp_id} did not take the new password ({answer}). Its current password stays in "
                           "force; try again, or set the password on the charger and then here.")
        if answer is not None:
            events.record(charger_id, "security", f"New AuthorizationKey taken ({answer}); the id now requires it")
    charger = db.session.get(Charger, charger_id)
    charger.set_password(key, generated=True)
    audit.log("charger.password_reset", "charger", charger_id, None, {"answer": answer or "charger offline"})
    db.session.commit()
    return Rotation(key, answer)
