"""Reconnect storm: N chargers arrive at once (a node was lost), Chargeway against the bare `ocpp` baseline.

    python -m bench.storm --chargers 5000
    python -m bench.storm --chargers 10000 --procs 2

Every charger connects (subprotocol ocpp1.6), sends BootNotification (must be Accepted) and one
StatusNotification per connector (--connectors, default 2), with at most --concurrency handshakes in
flight per generator process (default 1000: the storm is as fast as the server takes it). Per target:
time from the first connect to the last StatusNotification answered, the server's CPU seconds per
charger (process tree, /proc), for Chargeway the PostgreSQL backends' CPU, the SQL statements and commits
per charger, and the database connections the worker opened during the storm (the pool's "connect"
events: a pool that keeps opening overflow connections shows here). Each target starts cold (a fresh
process, as a node taking over), and --rounds alternate the order. Ratios are within one run.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time

from bench import common, stores
from bench.common import fmt, print_table
from bench.ocpp_load import Generators, sql_delta
from bench.procstat import CpuWindow, MachineCpu
from bench.servers import BaselineServer, Node
from bench.stores import BenchDB, RedisDB

CLOSE_WAIT = 60  # s: a charger still online this long after its socket closed was left online
PASSWORD = "bench-charger-key-01"  # 20 characters, as charger_passwords.generate() makes them


def storm(kind: str, args, cp_ids, db: BenchDB | None, redis_db: RedisDB | None) -> dict:
    server = node = gens = None
    try:
        if kind == "baseline":
            server = BaselineServer(300).start()
            url, pids, pg_pids, sql = server.ws_url, server.pids, None, dict
        else:
            redis_db.flush()
            env = {"ACCESS_LOG": "0", **dict(kv.split("=", 1) for kv in args.server_env)}
            node = Node("bench-storm", db.url(db.node_app_name), redis_db.url, extra_env=env).start()
            url, pids, pg_pids, sql = node.ws_url, node.pids, db.backend_pids, node.sql_counts
        opts = {"heartbeat": 300, "call_timeout": args.call_timeout, "ramp_concurrency": args.concurrency,
                "ramp_timeout": args.timeout, "connectors": args.connectors,
                "password": PASSWORD if args.password and kind == "chargeway" else None}
        gens = Generators(url, cp_ids, args.procs, opts)
        sql0 = sql()
        w_srv, w_gen, w_all = CpuWindow(pids).start(), CpuWindow(gens.pids).start(), MachineCpu().start()
        w_pg = CpuWindow(pg_pids).start() if pg_pids else None
        ramped = gens.ask_all(("ramp", time.time() + 0.3, 1e9), "ramped", timeout=args.timeout + 60)
        srv, gen, machine = w_srv.stop(), w_gen.stop(), w_all.stop()
        pg = w_pg.stop() if w_pg else None
        time.sleep(0.6)
        sqld = sql_delta(sql0, sql())
        ok = sum(r["ok"] for r in ramped)
        lat = common.summarize([x for r in ramped for x in r["connect_lat"]])
        errors_before, sql_close0 = len(node.errors()) if node else 0, sql()
        finals = gens.ask_all(("stop",), "final", timeout=60)
        closed_at = time.monotonic()
        gens.join()
        gens = None
        close = mass_close(db, node, closed_at, errors_before, sql_close0) if node else {}
        errors = sum((__import__("collections").Counter(f["errors"]) for f in finals), __import__("collections").Counter())
        seconds = max(r["ended"] for r in ramped) - min(r["began"] for r in ramped) - 0.3
        res = {"kind": kind, "ok": ok, "seconds": seconds, "cpu_s": srv["cpu_s"], "cpu_ms_per": 1000 * srv["cpu_s"] / max(1, ok),
               "srv_pct": srv["cpu_pct"], "gen_pct": gen["cpu_pct"], "machine_pct": machine["cpu_pct"],
               "pressure": machine["pressure_pct"], "pg_pct": pg["cpu_pct"] if pg else 0.0, "p50": lat["p50"],
               "p99": lat["p99"], "sql": sqld, "errors": errors.most_common(3),
               "server_errors": errors_before, **close}
        print(f"{kind}: {ok}/{len(cp_ids)} booted in {seconds:.1f} s, {res['cpu_ms_per']:.2f} ms CPU per charger, "
              f"sql {sqld}, errors {res['errors']}", flush=True)
        return res
    finally:
        if gens is not None:
            gens.send("stop")
            gens.join()
        for s in (server, node):
            if s:
                s.stop()


def mass_close(db: BenchDB, node: Node, closed_at: float, errors_before: int, sql0: dict) -> dict:
    """Every socket closed at once (the generators stopped): how long until no charger is marked online,
    how many still are after CLOSE_WAIT seconds, the server errors logged meanwhile (pool timeouts), the
    SQL of the close."""
    online = db.count("chargers", "WHERE online")
    while online and time.monotonic() - closed_at < CLOSE_WAIT:
        time.sleep(0.2)
        online = db.count("chargers", "WHERE online")
    seconds = time.monotonic() - closed_at
    time.sleep(0.6)  # the counter file is written at the end of each transaction
    res = {"close_online": online, "close_seconds": seconds, "close_errors": len(node.errors()) - errors_before,
           "close_sql": sql_delta(sql0, node.sql_counts())}
    print(f"mass close: {online} still online after {seconds:.1f} s, {res['close_errors']} server errors, "
          f"sql {res['close_sql']}", flush=True)
    return res


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Reconnect storm: Chargeway vs the bare ocpp baseline, same run",
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--chargers", type=int, default=5000)
    p.add_argument("--connectors", type=int, default=2, help="StatusNotifications per charger (one per connector)")
    p.add_argument("--concurrency", type=int, default=1000, help="handshakes in flight per generator process")
    p.add_argument("--rounds", type=int, default=1, help="storms per target, alternating the order")
    p.add_argument("--procs", type=int, default=0, help="generator processes (0: 1 per 5000 chargers)")
    p.add_argument("--timeout", type=float, default=240, help="give up on chargers not booted by then, s")
    p.add_argument("--call-timeout", type=float, default=60.0)
    p.add_argument("--password", nargs="?", const="typed", choices=("typed", "generated"),
                   help="chargers have a password, which they send in HTTP Basic: 'typed' (the default) is hashed as "
                        "a staff-typed key is (scrypt), 'generated' as a key Chargeway generated")
    p.add_argument("--known", action="store_true",
                   help="as after a node loss: the chargers' Smart Charging keys were read for the identity they boot "
                        "with, so no boot schedules a GetConfiguration")
    p.add_argument("--server-env", action="append", default=[], metavar="KEY=VALUE", help="extra node env")
    p.add_argument("--only", choices=("baseline", "chargeway"))
    args = p.parse_args(argv)
    common.raise_nofile()
    if args.procs <= 0:
        args.procs = max(1, -(-args.chargers // 5000))
    common.banner("storm")
    print(f"args: {vars(args)}", flush=True)
    cp_ids = [f"ST{i:05d}" for i in range(args.chargers)]
    db = redis_db = None
    kinds = [args.only] if args.only else ["baseline", "chargeway"]
    results = []
    try:
        if "chargeway" in kinds:
            db = BenchDB("storm")
            db.create()
            app = db.app()
            from webapp.extensions import db as sqla
            from webapp.models.charger import password_hash
            with app.app_context():
                stores.seed_chargers(args.chargers, "ST", stores.seed_stations(max(1, args.chargers // 100)),
                                     heartbeat=300, connectors=args.connectors, known=args.known,
                                     password_hash=password_hash(PASSWORD, generated=args.password == "generated")
                                     if args.password else None)
                sqla.engine.dispose()
            redis_db = RedisDB()
        for r in range(args.rounds):
            for kind in (kinds if r % 2 == 0 else kinds[::-1]):
                results.append(storm(kind, args, cp_ids, db, redis_db))
    finally:
        if db:
            db.finish(keep=False)
        if redis_db:
            redis_db.flush()
    rows = []
    for res in results:
        sql = res["sql"] or {}
        per = (lambda k: sql[k] / max(1, res["ok"]) if k in sql else None)
        other = max(0.0, res["machine_pct"] - res["srv_pct"] - res["gen_pct"] - res["pg_pct"])
        rows.append([res["kind"], res["ok"], res["seconds"], res["cpu_ms_per"], res["srv_pct"], res["pg_pct"],
                     fmt(per("statements"), 2), fmt(per("commits"), 2), sql.get("connections", "-"), res["p50"],
                     res["p99"], res["gen_pct"], other, res["pressure"], res["server_errors"],
                     res.get("close_seconds", "-"), res.get("close_online", "-"), res.get("close_errors", "-"),
                     (res.get("close_sql") or {}).get("connections", "-")])
    print()
    print_table(["target", "booted", "seconds", "CPU ms/charger", "server CPU %", "PostgreSQL CPU %",
                 "SQL/charger", "commits/charger", "DB connections opened", "p50 ms", "p99 ms", "generators %",
                 "neighbours %", "CPU pressure %", "server errors", "all closed: s to offline",
                 "still online", "errors in the close", "DB connections opened in the close"], rows)
    by = {k: [r for r in results if r["kind"] == k] for k in kinds}
    if len(kinds) == 2:
        cpu = statistics.median(c["cpu_ms_per"] for c in by["chargeway"]) / statistics.median(
            b["cpu_ms_per"] for b in by["baseline"])
        secs = statistics.median(c["seconds"] for c in by["chargeway"]) / statistics.median(
            b["seconds"] for b in by["baseline"])
        print(f"\nCPU per charger chargeway/baseline: {cpu:.2f}x (target <= 1.5x: {'met' if cpu <= 1.5 else 'missed'}); "
              f"storm time ratio {secs:.2f}x")
    for c in by.get("chargeway", []):
        print(f"chargeway: {c['ok']} booted in {c['seconds']:.1f} s "
              f"({'under' if c['seconds'] < 20 and c['ok'] == args.chargers else 'NOT under'} 20 s with all booted)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
