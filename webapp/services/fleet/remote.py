"""Remote commands from the console: validate the operator's form, send the OCPP CALL through
`services.platform.commands`, and hand back the charger's own answer (or the CommandFailed message)."""
from dataclasses import dataclass, field

from ...models import Charger
from ... import params
from ...params import DB_INT_MAX
from ..accounts import id_tags
from ..platform import commands, redaction
from ..errors import CommandFailed, InvalidInput

TRIGGERS = ("BootNotification", "DiagnosticsStatusNotification", "FirmwareStatusNotification", "Heartbeat",
            "MeterValues", "StatusNotification")
RESET_TYPES = ("Soft", "Hard")
AVAILABILITY = ("Operative", "Inoperative")


@dataclass
class Outcome:
    """What the console shows: the command, what was sent, and the answer or the failure."""

    command: str
    action: str
    payload: dict
    answer: dict | None = None
    error: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None and self.status in ("Accepted", "Unlocked", "Scheduled", "RebootRequired", None)

    @property
    def status(self) -> str | None:
        return (self.answer or {}).get("status")


def _connector(charger: Charger, data, name: str = "connector_id", allow_zero: bool = False,
               optional: bool = False) -> int | None:
    raw = str(data.get(name) or "").strip()
    if not raw and optional:
        return None
    number = params.bounded_int(raw, name)
    if number is None:
        raise InvalidInput("Choose a connector.", {"field": name})
    if number == 0 and allow_zero:
        return 0
    if charger.connector(number) is None:
        raise InvalidInput(f"{charger.charge_point_id} has no connector {number}.", {"field": name})
    return number


def _choice(data, name: str, options: tuple[str, ...], label: str) -> str:
    value = str(data.get(name) or "")
    if value not in options:
        raise InvalidInput(f"{label} must be one of {', '.join(options)}.", {"field": name})
    return value


def _remote_start(charger, data):
    id_tag = str(data.get("id_tag") or "").strip()
    if not 1 <= len(id_tag) <= 20:
        raise InvalidInput("idTag: 1 to 20 characters.", {"field": "id_tag"})
    number = _connector(charger, data)
    id_tags.check_remote_start(charger, number, id_tag)
    return "RemoteStartTransaction", {"connectorId": number, "idTag": id_tag}


def _remote_stop(charger, data):
    raw = str(data.get("transaction_id") or "").strip()
    transaction_id = params.bounded_int(raw, "transaction_id", minimum=-DB_INT_MAX - 1)
    if transaction_id is None:
        raise InvalidInput("Transaction id must be a number.", {"field": "transaction_id"})
    return "RemoteStopTransaction", {"transactionId": transaction_id}


def _unlock(charger, data):
    return "UnlockConnector", {"connectorId": _connector(charger, data)}


def _reset(charger, data):
    return "Reset", {"type": _choice(data, "type", RESET_TYPES, "Reset type")}


def _availability(charger, data):
    return "ChangeAvailability", {"connectorId": _connector(charger, data, allow_zero=True),
                                  "type": _choice(data, "type", AVAILABILITY, "Availability")}


def _trigger(charger, data):
    payload = {"requestedMessage": _choice(data, "message", TRIGGERS, "Message")}
    number = _connector(charger, data, optional=True, allow_zero=True)
    if number:
        payload["connectorId"] = number
    return "TriggerMessage", payload


def _change_configuration(charger, data):
    key = str(data.get("key") or "").strip()
    value = str(data.get("value") or "").strip()
    if not 1 <= len(key) <= 50:
        raise InvalidInput("Configuration key: 1 to 50 characters.", {"field": "key"})
    if len(value) > 500:
        raise InvalidInput("Configuration value: at most 500 characters.", {"field": "value"})
    return "ChangeConfiguration", {"key": key, "value": value}


def _clear_cache(charger, data):
    return "ClearCache", {}


def _get_configuration(charger, data):
    keys = [k.strip() for k in str(data.get("keys") or "").split(",") if k.strip()]
    return "GetConfiguration", ({"key": keys} if keys else {})


COMMANDS = {
    "remote_start": ("Remote start", _remote_start),
    "remote_stop": ("Remote stop", _remote_stop),
    "unlock": ("Unlock connector", _unlock),
    "reset": ("Reset", _reset),
    "change_availability": ("Change availability", _availability),
    "trigger_message": ("Trigger message", _trigger),
    "change_configuration": ("Change configuration", _change_configuration),
    "clear_cache": ("Clear cache", _clear_cache),
    "get_configuration": ("Get configuration", _get_configuration),
}


def prepare(charger: Charger, command: str, data) -> tuple[str, dict]:
    """Validate the form for `command`: returns (OCPP action, payload) or raises InvalidInput."""
    if command not in COMMANDS:
        raise InvalidInput(f"Unknown command {command!r}.", {"field": "command"})
    if charger.retired:
        raise InvalidInput(f"{charger.charge_point_id} is retired.")
    return COMMANDS[command][1](charger, data)


def run(charger: Charger, command: str, data) -> Outcome:
    """Validate and send a command; a timeout, a disconnected charger or a CALLERROR becomes `error`."""
    action, payload = prepare(charger, command, data)
    # What the console shows and audits has its secrets (AuthorizationKey) masked; the charger gets them.
    outcome = Outcome(command, action, redaction.payload(action, payload))
    try:
        answer = commands.send(charger.charge_point_id, action, payload)
        outcome.answer = redaction.payload(action, answer)
    except CommandFailed as exc:
        outcome.error = redaction.text(exc.message, redaction.values(action, payload))
    return outcome


def configuration_rows(answer: dict | None) -> list[dict]:
    """GetConfiguration's keys sorted by name: [{"key", "value", "readonly", "secret"}] (secret values masked)."""
    rows = (answer or {}).get("configurationKey") or []
    return sorted(({"key": r.get("key"), "value": r.get("value"), "readonly": bool(r.get("readonly")),
                    "secret": redaction.is_secret(r.get("key"))} for r in rows), key=lambda r: r["key"] or "")
