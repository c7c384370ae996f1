"""Secrets in OCPP payloads, masked before a frame or a command is stored, shown or logged.

The charger's AuthorizationKey is its HTTP Basic password; the OCPP 1.6 security whitepaper makes it
write-only, yet some chargers return it in GetConfiguration, and the console sends it in
ChangeConfiguration. The charger gets the real value; the OCPP message log, the console, the audit log
and the app's logs get MASK.
"""
import json

SECRET_KEYS = frozenset({"AuthorizationKey"})
MASK = "(hidden)"
_ACTIONS = ("ChangeConfiguration", "GetConfiguration")


def is_secret(key: str | None) -> bool:
    """Is this configuration key a secret?"""
    return key in SECRET_KEYS


def payload(action: str | None, data):
    """`data` (a ChangeConfiguration CALL or a GetConfiguration CALLRESULT payload) with secret values
    masked; anything else is returned as it is."""
    if not isinstance(data, dict) or action not in _ACTIONS:
        return data
    if action == "ChangeConfiguration" and is_secret(data.get("key")) and "value" in data:
        return {**data, "value": MASK}
    rows = data.get("configurationKey")
    if action == "GetConfiguration" and isinstance(rows, list) and any(_secret_row(r) for r in rows):
        return {**data, "configurationKey": [{**r, "value": MASK} if _secret_row(r) else r for r in rows]}
    return data


def values(action: str | None, *payloads) -> list[str]:
    """The secret values these payloads carry, to mask them in free text (an error message)."""
    found = []
    for data in payloads:
        if not isinstance(data, dict) or action not in _ACTIONS:
            continue
        if is_secret(data.get("key")) and isinstance(data.get("value"), str):
            found.append(data["value"])
        found += [r["value"] for r in data.get("configurationKey") or [] if _secret_row(r)
                  and isinstance(r.get("value"), str)]
    return [v for v in found if v]


def text(message: str, secrets: list[str]) -> str:
    """`message` with every one of `secrets` replaced by MASK."""
    for secret in secrets:
        message = message.replace(secret, MASK)
    return message


def frame(action: str | None, raw: str) -> str:
    """An OCPP-J frame's text with its secrets masked (re-serialised only when it carries one)."""
    if action not in _ACTIONS or not any(key in raw for key in SECRET_KEYS):
        return raw
    try:
        message = json.loads(raw)
    except ValueError:
        return f"{MASK}: a {action} frame that is not JSON and names a secret key"
    if not isinstance(message, list) or not message or not isinstance(message[-1], dict):
        return raw
    masked = payload(action, message[-1])
    if masked is message[-1]:
        return raw
    return json.dumps(message[:-1] + [masked], separators=(",", ":"))


def _secret_row(row) -> bool:
    return isinstance(row, dict) and is_secret(row.get("key")) and row.get("value") is not None
