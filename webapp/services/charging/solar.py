"""DataTransfer from chargers; the one we understand is solar production reports."""
import json
import logging

from sqlalchemy import select

from ...extensions import db
from ...models import SolarSample
from ...timeutil import parse_iso, utcnow
from ..fleet import chargers
from ..platform import events

log = logging.getLogger(__name__)

VENDOR_ID = "Chargeway"
#: The largest solar output a report may state (kW): a station array, not a power plant. Anything larger,
#: or not finite, is refused: one 1e308 sample would overflow every sum the analytics make of it.
MAX_KW = 10_000.0


def data_transfer(cp_id: str, vendor_id: str, message_id: str | None, data: str | None) -> tuple[str, str | None]:
    """Answer a DataTransfer: (status, data). Unknown vendors get UnknownVendorId, per the spec."""
    charger = chargers.get_by_cp_id(cp_id)
    if vendor_id != VENDOR_ID:
        events.record(charger.id, "data_transfer", f"unknown vendor {vendor_id!r} message {message_id!r}")
        return "UnknownVendorId", None
    if message_id != "SolarProduction":
        events.record(charger.id, "data_transfer", f"unknown message {message_id!r}")
        return "UnknownMessageId", None
    try:
        body = json.loads(data or "")
        kw = float(body["kw"])
        when = parse_iso(body["timestamp"]) if body.get("timestamp") else utcnow()
    except (ValueError, KeyError, TypeError, AttributeError):
        return "Rejected", None
    if not -MAX_KW <= kw <= MAX_KW:  # NaN fails this too
        events.record(charger.id, "data_transfer", f"SolarProduction kw={body['kw']!r} out of range; rejected")
        return "Rejected", json.dumps({"error": f"kw out of range (0 to {MAX_KW:g})"})
    exists = db.session.execute(select(SolarSample.id).where(SolarSample.charger_id == charger.id,
                                                             SolarSample.timestamp == when)).first()
    if not exists:
        db.session.add(SolarSample(charger_id=charger.id, timestamp=when, kw=max(0.0, kw)))
    return "Accepted", None
