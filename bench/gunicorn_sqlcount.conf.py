"""The production gunicorn.conf.py, plus a count of SQL statements and commits in each worker.

    gunicorn -c bench/gunicorn_sqlcount.conf.py wsgi:app      (BENCH_SQL_COUNT_FILE=/path/prefix)

Everything in ../gunicorn.conf.py applies unchanged; after the worker has loaded the app, a listener on
every SQLAlchemy Engine counts cursor executions (an executemany counts once: one round trip), commits
new database connections (the pool's "connect") and pool checkouts (how many waited over 5 ms, total
wait), and a thread writes the totals to
`$BENCH_SQL_COUNT_FILE.<worker pid>` four times a second. With BENCH_GC_FILE set, the worker also records
every garbage collection's pause (bench/gcpause.py).
The benchmarks read those files at the edges of their windows. Cost: one Python call per statement.
"""
import json
import os

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
with open(os.path.join(_ROOT, "gunicorn.conf.py")) as _f:
    exec(compile(_f.read(), os.path.join(_ROOT, "gunicorn.conf.py"), "exec"))
_production_post_worker_init = globals().get("post_worker_init")


def post_worker_init(worker):  # noqa: F811 - wraps the production hook, if any
    if _production_post_worker_init is not None:
        _production_post_worker_init(worker)
    import threading
    import time

    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.pool import Pool

    from bench import gcpause

    gcpause.install()
    counts = {"statements": 0, "commits": 0, "connections": 0}

    def on_execute(conn, cursor, statement, parameters, context, executemany):
        counts["statements"] += 1

    def on_commit(conn):
        counts["commits"] += 1

    event.listen(Engine, "before_cursor_execute", on_execute)
    event.listen(Engine, "commit", on_commit)

    def on_connect(dbapi_connection, record):
        counts["connections"] += 1

    event.listen(Pool, "connect", on_connect)

    # Time every checkout from the pool (a wait for a free connection, or opening a new one).
    from sqlalchemy.pool import QueuePool

    counts.update(checkouts=0, pool_waits_over_5ms=0, pool_wait_ms=0.0)
    do_get = QueuePool._do_get

    def timed_get(self):
        start = time.perf_counter()
        try:
            return do_get(self)
        finally:
            waited = (time.perf_counter() - start) * 1000
            counts["checkouts"] += 1
            counts["pool_wait_ms"] += waited
            if waited > 5:
                counts["pool_waits_over_5ms"] += 1

    QueuePool._do_get = timed_get
    path = f"{os.environ['BENCH_SQL_COUNT_FILE']}.{os.getpid()}"

    def dump():
        while True:
            with open(path + ".tmp", "w") as f:
                json.dump(counts, f)
            os.replace(path + ".tmp", path)
            time.sleep(0.25)

    threading.Thread(target=dump, name="bench-sqlcount", daemon=True).start()
