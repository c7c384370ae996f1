"""Prometheus metrics: defined once here, updated on the hot paths, served by `webapp/observe.py`.

Every update is a counter or gauge step or one histogram observation (no I/O, no lock held across
anything slow). Under gunicorn each worker writes its values to files in PROMETHEUS_MULTIPROC_DIR
(prometheus-client's multiprocess mode, chosen by that variable when this module is imported) and
`/metrics` sums them; gauges of live things use `livesum`, so a dead worker's sockets stop counting.
"""
import threading
import time
from contextlib import contextmanager

from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import event
from sqlalchemy.pool import Pool

# Latency buckets in seconds: OCPP answers and HTTP pages are milliseconds, a silent charger is the timeout.
_FAST = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_LAG = (0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0)

CHARGERS_CONNECTED = Gauge("chargeway_chargers_connected", "Charger WebSockets open on this node",
                           multiprocess_mode="livesum")
OCPP_MESSAGES = Counter("chargeway_ocpp_messages_total", "OCPP CALLs received from chargers, by action and "
                        "outcome (CALLRESULT or the CALLERROR code)", ["action", "outcome"])
COMMAND_LATENCY = Histogram("chargeway_ocpp_command_seconds", "Our CALLs to chargers until answered, by action "
                            "and outcome (answered or failed)", ["action", "outcome"], buckets=_FAST)
WRITEBEHIND_DEPTH = Gauge("chargeway_writebehind_queue_depth", "Items waiting in a write-behind queue",
                          ["queue"], multiprocess_mode="livesum")
WRITEBEHIND_FLUSH = Histogram("chargeway_writebehind_flush_seconds", "Time to write one write-behind batch",
                              ["queue"], buckets=_FAST)
DB_CONNECTIONS = Gauge("chargeway_db_connections_in_use", "Database connections checked out of the pool",
                       multiprocess_mode="livesum")
TIMER_LAG = Histogram("chargeway_timer_lag_seconds", "How late a timer job started after its due time",
                      ["job"], buckets=_LAG)
JOB_RETRIES = Counter("chargeway_job_retries_total", "Timer jobs that failed and were scheduled again", ["job"])
HTTP_LATENCY = Histogram("chargeway_http_request_seconds", "HTTP requests by endpoint, method and status class",
                         ["endpoint", "method", "status"], buckets=_FAST)

#: OCPP 1.6 actions a charger may send (webapp/ocpp/handlers.py); anything else is counted as "other", so
#: a hostile charger cannot create label values (each one is a time series kept forever).
KNOWN_ACTIONS = frozenset(("BootNotification", "Heartbeat", "StatusNotification", "Authorize", "StartTransaction",
                           "MeterValues", "StopTransaction", "DataTransfer", "DiagnosticsStatusNotification",
                           "FirmwareStatusNotification"))

_children: dict = {}
_children_lock = threading.Lock()


def _child(metric, *labels):
    """`metric.labels(*labels)`, cached: the hot path pays one dict lookup."""
    key = (metric, labels)
    child = _children.get(key)
    if child is None:
        with _children_lock:
            child = _children.setdefault(key, metric.labels(*labels))
    return child


def ocpp_message(action: str | None, outcome: str) -> None:
    """Count one CALL from a charger."""
    _child(OCPP_MESSAGES, action if action in KNOWN_ACTIONS else "other", outcome).inc()


@contextmanager
def command(action: str):
    """Time one of our CALLs to a charger; an exception counts as failed (and goes on)."""
    start = time.perf_counter()
    outcome = "failed"
    try:
        yield
        outcome = "answered"
    finally:
        _child(COMMAND_LATENCY, action, outcome).observe(time.perf_counter() - start)


def queue_depth(queue: str, depth: int) -> None:
    _child(WRITEBEHIND_DEPTH, queue).set(depth)


def flush_time(queue: str, seconds: float) -> None:
    _child(WRITEBEHIND_FLUSH, queue).observe(seconds)


def timer_lag(job: str, seconds: float) -> None:
    _child(TIMER_LAG, job).observe(max(0.0, seconds))


def job_retried(job: str) -> None:
    _child(JOB_RETRIES, job).inc()


def http_request(endpoint: str, method: str, status: int, seconds: float) -> None:
    _child(HTTP_LATENCY, endpoint, method, f"{status // 100}xx").observe(seconds)


@event.listens_for(Pool, "checkout")
def _checked_out(dbapi_connection, record, proxy):
    DB_CONNECTIONS.inc()
    record.record_info["chargeway_out"] = True


@event.listens_for(Pool, "checkin")
def _checked_in(dbapi_connection, record):
    # record_info outlives an invalidated connection (info does not); count back only what went out.
    if record is not None and record.record_info.pop("chargeway_out", False):
        DB_CONNECTIONS.dec()
