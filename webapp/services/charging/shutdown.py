"""Graceful shutdown of a web worker (gunicorn's SIGTERM): let the chargers go, keep what was buffered.

`begin` refuses new charger sockets and closes the open ones with 1001 (Going Away), each after the frame
it is handling has been answered, so chargers reconnect to another node at once; every socket's own
ending marks its charger offline and drops its route. `finish`, once the sockets are gone, writes the
write-behind buffers (last seen, OCPP log, meter batches) and drops any route still left.
"""
import logging
import time

from flask import Flask

from . import writebehind

log = logging.getLogger(__name__)

DRAINING = "chargeway_draining"


def draining(app: Flask) -> bool:
    """Whether this process is shutting down (new charger sockets are refused)."""
    return bool(app.extensions.get(DRAINING))


def begin(app: Flask, timeout: float = 10.0) -> int:
    """Refuse new charger sockets and close the open ones with 1001; returns how many were closed. Waits
    up to `timeout` for their handlers to end (each unregisters its route and marks its charger offline)."""
    app.extensions[DRAINING] = True
    the_bus = app.extensions["chargeway_bus"]
    closed, deadline = 0, time.monotonic() + timeout
    while (conns := [the_bus.local(cp_id) for cp_id in the_bus.connected_ids()]) and time.monotonic() < deadline:
        for conn in conns:
            if conn is not None and not getattr(conn, "going_away", False):
                conn.go_away()
                closed += 1
        time.sleep(0.1)
    log.info("Shutdown: %d charger sockets closed with 1001, %d still open", closed, len(the_bus.connected_ids()))
    return closed


def finish(app: Flask) -> None:
    """Write every write-behind buffer and drop the routes of sockets that did not end in time."""
    app.extensions[DRAINING] = True
    written = writebehind.drain_all(app)
    the_bus = app.extensions["chargeway_bus"]
    left = [conn for conn in map(the_bus.local, the_bus.connected_ids()) if conn is not None]
    with app.app_context():
        for conn in left:
            the_bus.unregister(conn)
    log.info("Shutdown: flushed %s; %d routes dropped by hand", written, len(left))

