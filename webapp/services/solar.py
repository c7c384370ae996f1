"""DataTransfer from chargers; the one we understand is solar production reports."""
import json
import logging

from sqlalchemy import select

from ..extensions import db
from ..models import SolarSample
from ..timeutil import parse_iso, utcnow
from . import chargers, events

log = logging.getLogger(__name__)

VENDOR_ID = "Chargeway"


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
    except (ValueError, KeyError, TypeError):
        return "Rejected", None
    exists = db.session.execute(select(SolarSample.id).where(SolarSample.charger_id == charger.id,
                                                             SolarSample.timestamp == when)).first()
    if not exists:
        db.session.add(SolarSample(charger_id=charger.id, timestamp=when, kw=max(0.0, kw)))
    return "Accepted", None
