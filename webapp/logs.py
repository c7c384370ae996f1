"""Logging: plain text on a laptop, one JSON object per line in production (LOG_FORMAT=json).

A JSON line carries `request_id` inside an HTTP request (webapp/observe.py sets it) and `charger_id` on a
charger's socket (webapp/ocpp/connection.py sets it), so one charger's or one request's lines can be found.
"""
import json
import logging
import os
import sys
import time

from flask import g, has_app_context


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            "pid": record.process,
        }
        if has_app_context():
            for key in ("request_id", "charger_id"):
                value = g.get(key)
                if value is not None:
                    entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(production: bool) -> None:
    """Set up the root logger once per process."""
    root = logging.getLogger()
    if getattr(root, "_chargeway_configured", False):
        return
    level = os.environ.get("LOG_LEVEL", "INFO").upper()
    as_json = os.environ.get("LOG_FORMAT", "json" if production else "text") == "json"
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if as_json else
                         logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    if as_json or not root.handlers:
        root.handlers = [handler]
    root.setLevel(level)
    root._chargeway_configured = True
