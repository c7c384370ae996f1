"""The embedded server: werkzeug (threaded) with OCPP WebSockets and in-process timers."""
import logging
import os

from flask import Flask
from werkzeug.serving import make_server

from .services.fleet import chargers
from .services.platform import timers

log = logging.getLogger(__name__)


def run_embedded(app: Flask, host: str | None = None, port: int | None = None) -> None:
    host = host or os.environ.get("HOST", "127.0.0.1")
    port = int(port or os.environ.get("PORT", 5000))
    if not app.config.get("REDIS_URL"):
        # One process holds every socket: whatever the database says, nothing is connected yet.
        with app.app_context():
            chargers.all_offline("server restarted")
        if app.config.get("EMBEDDED_SCHEDULER"):
            timers.start_embedded(app)
    app.extensions["chargeway_bus"].start()
    server = make_server(host, port, app, threaded=True)
    log.info("Chargeway listening on http://%s:%s (OCPP: ws://%s:%s/ocpp/<id>)", host, port, host, port)
    server.serve_forever()
