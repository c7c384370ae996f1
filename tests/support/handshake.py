"""A charger's WebSocket handshake check (services/fleet/charger_auth.py) as the tests of its password cache
read it: the HTTP status of the refusal, or None when the charger may connect."""
from webapp.extensions import db
from webapp.services.fleet import charger_auth


def handshake(cp_id: str, password: str | None) -> int | None:
    """None when `cp_id` may connect with `password` (Basic auth user = the charge point id), else the refusal's
    status (401, 429); the check's transaction is ended, so the next handshake reads afresh."""
    refusal = charger_auth.check(cp_id, cp_id, password, "10.0.0.1")
    db.session.rollback()
    return None if refusal is None else refusal.status
