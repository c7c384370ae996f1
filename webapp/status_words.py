"""Statuses in words: one mapping for the driver's pages and the console (the `status_word` Jinja filter).

OCPP and the database keep their raw values ("SuspendedEVSE", "NO_SHOW"); people read these words.
"""

WORDS = {
    "ocpp": {  # a connector's OCPP 1.6 ChargePointStatus
        "Available": "Available", "Preparing": "Preparing", "Charging": "Charging",
        "SuspendedEV": "Paused by the car", "SuspendedEVSE": "Paused by the charger", "Finishing": "Finishing",
        "Reserved": "Reserved", "Unavailable": "Unavailable", "Faulted": "Fault",
    },
    "booking": {
        "HELD": "Held", "SLOT_HELD": "Slot held", "SCHEDULED": "Scheduled", "CONFIRMED": "Confirmed",
        "CHARGING": "Charging", "FINISHING": "Finishing", "OVERSTAY": "Overstaying", "COMPLETED": "Completed",
        "EXPIRED": "Expired", "NO_SHOW": "No-show", "CANCELLED": "Cancelled",
    },
    "reservation": {  # the charger's answer to ReserveNow, as the driver reads it
        "Accepted": "reserved", "Occupied": "occupied", "Faulted": "faulted", "Unavailable": "out of service",
        "Rejected": "refused", "pending": "being reserved", "failed": "did not answer",
    },
    "payment": {"pending": "Pending", "succeeded": "Done", "declined": "Declined", "failed": "Failed"},
    "registration": {"Accepted": "Accepted", "Pending": "Waiting for approval", "Rejected": "Rejected"},
    "station": {"active": "Active", "maintenance": "Maintenance", "retired": "Retired"},
}


def status_word(value, kind: str = "ocpp") -> str:
    """The word for a raw status (unknown values are tidied, never dropped: 'SOME_VALUE' -> 'Some value')."""
    if value is None:
        return ""
    raw = str(value)
    word = WORDS.get(kind, {}).get(raw)
    return word if word is not None else raw.replace("_", " ").capitalize()


def payment_kind(payment) -> str:
    """A payment row's kind as the receipt names it: the unused part of a pre-authorisation is "Released"
    (voided or refunded), a refund staff gave is a "Refund"."""
    if payment.kind == "void" or (payment.kind == "refund" and payment.reason == "unused authorisation"):
        return "Released"
    return {"authorise": "Pre-authorisation", "increment": "Extra pre-authorisation", "capture": "Charged",
            "refund": "Refund", "settle": "Balance paid"}.get(payment.kind, payment.kind.capitalize())
