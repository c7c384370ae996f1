"""Simple chargers that do not speak OCPP: an authenticated HTTP heartbeat with connector statuses.

It feeds the same presence as OCPP: `online` and `last_seen` on the charger, the offline-detection job
(`chargers.detect_offline`) for silence, and `chargers.status_notification` for connector changes.
"""
from ...extensions import db
from ...models import Charger
from ...timeutil import utcnow
from . import chargers
from ..platform import events
from ..errors import Forbidden, Unauthorized


def authenticate(cp_id: str | None, password: str | None) -> Charger:
    """The charger whose id and password these are; only chargers with a password may use HTTP."""
    charger = chargers.get_by_cp_id(cp_id) if cp_id else None
    if charger is None or not charger.password_hash or not charger.check_password(password):
        raise Unauthorized("Unknown charger or wrong password.")
    if charger.retired:
        raise Forbidden("This charger is retired.")
    if charger.registration_status != "Accepted":
        raise Forbidden(f"This charger is not accepted ({charger.registration_status}).")
    return charger


def heartbeat(charger: Charger, connectors: list[dict] | None = None) -> Charger:
    """Mark the charger seen (and online), and apply connector statuses that changed."""
    now = utcnow()
    if not charger.online:
        events.record(charger.id, "online", "HTTP heartbeat")
        charger.online = True
    charger.last_seen = now
    for report in connectors or []:
        current = charger.connector(report["connector_id"])
        error_code = report.get("error_code", "NoError")
        if current is None or current.status != report["status"] or current.error_code != error_code:
            chargers.status_notification(charger.charge_point_id, report["connector_id"], report["status"],
                                         error_code, now, report.get("info"))
    db.session.commit()
    return charger
