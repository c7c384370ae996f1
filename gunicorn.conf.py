"""Production web process: `gunicorn -c gunicorn.conf.py wsgi:app`.

gevent workers hold thousands of idle charger WebSockets each (about 55 KB apiece, measured in bench/);
gthread would cap the sockets at its thread count and starve plain HTTP. No preload: psycopg must be imported after gevent has
monkey-patched the worker.
"""
import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
worker_class = "gevent"
workers = int(os.environ.get("WEB_CONCURRENCY", 2))
worker_connections = int(os.environ.get("WORKER_CONNECTIONS", 20000))
preload_app = False
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
graceful_timeout = int(os.environ.get("GRACEFUL_TIMEOUT", 20))
keepalive = 5
accesslog = "-" if os.environ.get("ACCESS_LOG", "1") == "1" else None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")


def on_starting(server):
    """Multiprocess metrics (PROMETHEUS_MULTIPROC_DIR): start from an empty directory, so the files of a
    previous run's workers are not summed into this one's."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        os.makedirs(path, exist_ok=True)
        for name in os.listdir(path):
            if name.endswith(".db"):
                os.remove(os.path.join(path, name))


def child_exit(server, worker):
    """A dead worker's live gauges (sockets, pool, queues) stop counting; its counters stay summed."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker):
    """The worker has loaded the app: move everything alive now (modules, the app and its extensions, the
    compiled OCPP schemas) out of the cyclic garbage collector's reach. A full collection otherwise walks
    those ~150,000 long-lived objects and stalls every greenlet of the worker for ~100 ms every few seconds
    (measured with bench/web_load.py; mostly 5-20 ms after the freeze). Then the same for the sockets the
    worker accepts (webapp/ocpp/gcpolicy.py: freeze after each batch of booted chargers)."""
    import gc

    gc.collect()
    gc.freeze()
    from webapp.ocpp import gcpolicy

    if hasattr(getattr(worker, "wsgi", None), "config"):
        gcpolicy.start(worker.wsgi)
    _on_sigterm_let_chargers_go(worker)


def _on_sigterm_let_chargers_go(worker):
    """gunicorn's SIGTERM only stops the accept loop and then waits for every handler, and a charger's
    socket handler never ends by itself: close the sockets with 1001 (shutdown.begin) so chargers move to
    another node at once and the worker exits well within graceful_timeout."""
    import signal

    import gevent

    from webapp.services.charging import shutdown

    def handle(sig, frame):
        worker.alive = False  # what gunicorn's own handler does: stop accepting, wait for the handlers
        gevent.spawn(shutdown.begin, worker.wsgi, max(1, graceful_timeout - 5))

    signal.signal(signal.SIGTERM, handle)


def worker_exit(server, worker):
    """The worker's handlers are done: write what is still buffered (last seen, OCPP log, meter batches)
    and drop the routes of any socket that outlived graceful_timeout."""
    wsgi = getattr(worker, "wsgi", None)
    if wsgi is not None and hasattr(wsgi, "extensions"):
        from webapp.services.charging import shutdown

        shutdown.finish(wsgi)
