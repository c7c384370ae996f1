"""Statuses in words: one mapping for the driver's pages and the console (the `status_word` Jinja filter).

OCPP and the database keep their raw values ("SuspendedEVSE", "NO_SHOW"); people read these words. Pages
show `status|status_word("booking")`, naming the value's family (a key of WORDS: the same raw value can mean
something else in another family, e.g. "Accepted" as a ReserveNow answer); the raw value stays in classes and
data attributes (CSS and tests key on it).
"""
import re

WORDS = {
    "ocpp": {  # a connector's OCPP 1.6 ChargePointStatus
        "Available": "Available", "Preparing": "Preparing", "Charging": "Charging",
        "SuspendedEV": "Paused by the car", "SuspendedEVSE": "Paused by the charger", "Finishing": "Finishing",
        "Reserved": "Reserved", "Unavailable": "Unavailable", "Faulted": "Faulted",
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
    "payment": {"pending": "Pending", "succeeded": "Succeeded", "declined": "Declined", "failed": "Failed"},
    "registration": {"Accepted": "Accepted", "Pending": "Waiting for approval", "Rejected": "Rejected"},
    "station": {"active": "Active", "maintenance": "Maintenance", "retired": "Retired"},
    "window": {"scheduled": "Scheduled", "active": "Active", "done": "Done", "cancelled": "Cancelled"},  # maintenance
    "idtag": {"Accepted": "Accepted", "Blocked": "Blocked", "Expired": "Expired", "Invalid": "Unknown idTag",
              "ConcurrentTx": "Already charging"},
    "event": {"online": "Online", "offline": "Offline", "boot": "Boot", "status": "Status", "fault": "Fault",
              "unknown_id_tag": "Unknown idTag"},
}


def status_word(value, kind: str) -> str:
    """The word for a raw status of `kind` (a key of WORDS, else ValueError: a misspelt kind fails loudly);
    a value its family does not know is tidied, never dropped (`tidy_word`)."""
    if kind not in WORDS:
        raise ValueError(f"no status family {kind!r}; one of {', '.join(WORDS)}")
    if value is None:
        return ""
    raw = str(value)
    word = WORDS[kind].get(raw)
    return tidy_word(raw) if word is None else word


def tidy_word(raw: str) -> str:
    """A raw value as people read it, for values with no family (a select of roles, channels):
    'SOME_VALUE' -> 'Some value', 'in_maintenance' -> 'In maintenance', 'SomeValue' -> 'Some value'."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", raw).replace("_", " ").strip()
    return spaced[:1].upper() + spaced[1:].lower() if spaced else ""


def payment_kind(payment) -> str:
    """A payment row's kind as the receipt names it: the unused part of a pre-authorisation is "Released"
    (voided or refunded), a refund staff gave is a "Refund"."""
    if payment.kind == "void" or (payment.kind == "refund" and payment.reason == "unused authorisation"):
        return "Released"
    return {"authorise": "Pre-authorisation", "increment": "Extra pre-authorisation", "capture": "Charged",
            "refund": "Refund", "settle": "Balance paid"}.get(payment.kind, payment.kind.capitalize())
