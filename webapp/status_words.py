"""Statuses in words for people: OCPP connector statuses, booking, payment, station and maintenance states.

Pages show `status|status_word`; the raw value stays in classes and data attributes (CSS and tests key on it).
"""
import re

WORDS = {
    # OCPP 1.6 ChargePointStatus
    "Available": "Available", "Preparing": "Preparing", "Charging": "Charging",
    "SuspendedEV": "Paused by the car", "SuspendedEVSE": "Paused by the charger", "Finishing": "Finishing",
    "Reserved": "Reserved", "Unavailable": "Unavailable", "Faulted": "Faulted",
    # bookings
    "SLOT_HELD": "Slot held", "SCHEDULED": "Scheduled", "HELD": "Held", "CONFIRMED": "Confirmed",
    "CHARGING": "Charging", "FINISHING": "Finishing", "OVERSTAY": "Overstaying", "COMPLETED": "Completed",
    "EXPIRED": "Expired", "NO_SHOW": "No-show", "CANCELLED": "Cancelled",
    # payments, idTag answers, charger events
    "succeeded": "Succeeded", "declined": "Declined", "failed": "Failed", "pending": "Pending",
    "ConcurrentTx": "Already charging", "Invalid": "Unknown idTag", "Blocked": "Blocked", "Expired": "Expired",
    "online": "Online", "offline": "Offline", "boot": "Boot", "status": "Status", "fault": "Fault",
    "unknown_id_tag": "Unknown idTag",
}


def status_word(value) -> str:
    """'SuspendedEV' -> 'Paused by the car', 'NO_SHOW' -> 'No-show'; an unknown value in plain words
    ('in_maintenance' -> 'In maintenance'); None -> ''."""
    if value is None:
        return ""
    text = str(value)
    if text in WORDS:
        return WORDS[text]
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text).replace("_", " ").strip()
    return spaced[:1].upper() + spaced[1:].lower() if spaced else ""
