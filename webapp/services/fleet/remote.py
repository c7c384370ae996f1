"""Remote commands from the console: validate the operator's form, send the OCPP CALL through
`services.platform.commands`, and hand back the charger's own answer (or the CommandFailed message)."""
from dataclasses import dataclass, field

from ...extensions import db
from ...models import Charger
from ...params import DB_INT_MAX
from ..accounts import id_tags
from ..platform import audit, commands, redaction
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


@dataclass(frozen=True)
class CommandInput:
    """What the operator typed for a command, typed; each command reads the fields it needs."""

    connector_id: int | None = None
    id_tag: str = ""
    transaction_id: int | None = None
    type: str = ""
    message: str = ""
    key: str = ""
    value: str = ""
    keys: tuple[str, ...] = ()


def _connector(charger: Charger, number: int | None, allow_zero: bool = False, optional: bool = False) -> int | None:
    if number is None and optional:
        return None
    if number is None:
        raise InvalidInput("Choose a connector.", {"field": "connector_id"})
    if number == 0 and allow_zero:
        return 0
    if not 0 < number <= DB_INT_MAX or charger.connector(number) is None:
        raise InvalidInput(f"{charger.charge_point_id} has no connector {number}.", {"field": "connector_id"})
    return number


def _choice(value: str, name: str, options: tuple[str, ...], label: str) -> str:
    if value not in options:
        raise InvalidInput(f"{label} must be one of {', '.join(options)}.", {"field": name})
    return value


def _remote_start(charger, data: CommandInput):
    id_tag = data.id_tag.strip()
    if not 1 <= len(id_tag) <= 20:
        raise InvalidInput("idTag: 1 to 20 characters.", {"field": "id_tag"})
    number = _connector(charger, data.connector_id)
    id_tags.check_remote_start(charger, number, id_tag)
    return "RemoteStartTransaction", {"connectorId": number, "idTag": id_tag}


def _remote_stop(charger, data: CommandInput):
    if data.transaction_id is None or not -DB_INT_MAX - 1 <= data.transaction_id <= DB_INT_MAX:
        raise InvalidInput("Transaction id must be a number.", {"field": "transaction_id"})
    return "RemoteStopTransaction", {"transactionId": data.transaction_id}


def _unlock(charger, data: CommandInput):
    return "UnlockConnector", {"connectorId": _connector(charger, data.connector_id)}


def _reset(charger, data: CommandInput):
    return "Reset", {"type": _choice(data.type, "type", RESET_TYPES, "Reset type")}


def _availability(charger, data: CommandInput):
    return "ChangeAvailability", {"connectorId": _connector(charger, data.connector_id, allow_zero=True),
                                  "type": _choice(data.type, "type", AVAILABILITY, "Availability")}


def _trigger(charger, data: CommandInput):
    payload = {"requestedMessage": _choice(data.message, "message", TRIGGERS, "Message")}
    number = _connector(charger, data.connector_id, optional=True, allow_zero=True)
    if number:
        payload["connectorId"] = number
    return "TriggerMessage", payload


def _change_configuration(charger, data: CommandInput):
    key, value = data.key.strip(), data.value.strip()
    if not 1 <= len(key) <= 50:
        raise InvalidInput("Configuration key: 1 to 50 characters.", {"field": "key"})
    if len(value) > 500:
        raise InvalidInput("Configuration value: at most 500 characters.", {"field": "value"})
    return "ChangeConfiguration", {"key": key, "value": value}


def _clear_cache(charger, data: CommandInput):
    return "ClearCache", {}


def _get_configuration(charger, data: CommandInput):
    keys = [k.strip() for k in data.keys if k.strip()]
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


def prepare(charger: Charger, command: str, data: CommandInput) -> tuple[str, dict]:
    """Check the input for `command`: returns (OCPP action, payload) or raises InvalidInput."""
    if command not in COMMANDS:
        raise InvalidInput(f"Unknown command {command!r}.", {"field": "command"})
    if charger.retired:
        raise InvalidInput(f"{charger.charge_point_id} is retired.")
    return COMMANDS[command][1](charger, data)


def run(charger: Charger, command: str, data: CommandInput = CommandInput()) -> Outcome:
    """Check and send a command; a timeout, a disconnected charger or a CALLERROR becomes `error`.

    Audited once the charger has answered (or not): what was sent (secrets masked) and what came back. The
    CALL itself changes no row; the entry is committed on its own, after the wait (nothing may hold a
    transaction open while waiting on a charger, `platform.commands`)."""
    action, payload = prepare(charger, command, data)
    # What the console shows and audits has its secrets (AuthorizationKey) masked; the charger gets them.
    outcome = Outcome(command, action, redaction.payload(action, payload))
    try:
        answer = commands.send(charger.charge_point_id, action, payload)
        outcome.answer = redaction.payload(action, answer)
    except CommandFailed as exc:
        outcome.error = redaction.text(exc.message, redaction.values(action, payload))
    audit.log(f"charger.command.{command}", "charger", charger.id, None,
              {"action": outcome.action, "payload": outcome.payload, "answer": outcome.answer, "error": outcome.error})
    db.session.commit()
    return outcome


def configuration_rows(answer: dict | None) -> list[dict]:
    """GetConfiguration's keys sorted by name: [{"key", "value", "readonly", "secret"}] (secret values masked)."""
    rows = (answer or {}).get("configurationKey") or []
    return sorted(({"key": r.get("key"), "value": r.get("value"), "readonly": bool(r.get("readonly")),
                    "secret": redaction.is_secret(r.get("key"))} for r in rows), key=lambda r: r["key"] or "")
