"""OCPP load: thousands of lean simulated chargers against a bare baseline and a Chargeway node, same run.

    python -m bench.ocpp_load --chargers 2000 --duration 30 --heartbeat 10

For each target (1) the baseline server (`bench/baseline_server.py`: the `ocpp` library on `websockets`,
no persistence) and (2) a production Chargeway node (gunicorn gevent, 1 worker, PostgreSQL in a private
schema, Redis command bus), the same load generator runs the same phases:

  ramp     N chargers connect (subprotocol ocpp1.6), BootNotification, StatusNotification(Available),
           at --ramp-rate per second (at most --ramp-concurrency handshakes in flight per generator);
  steady   every charger sends a Heartbeat every --heartbeat seconds (random phase); we time each CALL
           from send to CALLRESULT over --duration seconds;
  meter    --meter-chargers of them StartTransaction (idTag of an admin account: staff tags are
           Accepted for a service session; one account per charger, else ConcurrentTx) and send MeterValues (--samples sampled values each) back to
           back, one CALL outstanding per charger as OCPP-J allows (or --meter-rate per second each);
           the others keep heart-beating. At the end we count the rows in meter_samples.

Server CPU is the CPU seconds of the server's processes (gunicorn master + workers, or the baseline
process) over the window, from /proc; RSS the sum of their resident memory. PostgreSQL CPU is that of
the backends serving the node (found by application_name). The generators (raw OCPP-J frames over the
`websockets` client, no schema validation) run in --procs processes; their own CPU and event-loop lag
are printed, because on a 2-core machine they compete with the server for the same cores.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import time
from collections import Counter

from bench import common, gcpause, stores
from bench.common import summarize
from bench.ocpp_generator import generator_main
from bench.ocpp_report import report
from bench.procstat import CpuWindow, MachineCpu, rss_mb
from bench.servers import BaselineServer, Node
from bench.stores import BenchDB, RedisDB

# ==============================================================================================================
# orchestration
# ==============================================================================================================
class Generators:
    """`procs` load generator processes, each running `target(pipe, index, url, its chargers, opts)`."""

    def __init__(self, url, cp_ids: list[str], procs: int, opts: dict, target=generator_main):
        ctx = mp.get_context("spawn")
        self.pipes, self.procs = [], []
        for i in range(procs):
            parent, child = ctx.Pipe()
            p = ctx.Process(target=target, args=(child, i, url, cp_ids[i::procs], opts), daemon=True)
            p.start()
            self.pipes.append(parent)
            self.procs.append(p)
        self.ask_all(None, "ready")

    def pids(self) -> list[int]:
        return [p.pid for p in self.procs if p.is_alive()]

    def send(self, *msg) -> None:
        for pipe in self.pipes:
            pipe.send(msg)

    def ask_all(self, msg, expect: str, timeout: float = 600) -> list:
        if msg is not None:
            self.send(*msg)
        out = []
        for pipe, proc in zip(self.pipes, self.procs):
            deadline = time.monotonic() + timeout
            while not pipe.poll(0.5):
                if not proc.is_alive() or time.monotonic() > deadline:
                    raise RuntimeError(f"generator {proc.pid} died or hung waiting for {expect!r}")
            kind, payload = pipe.recv()
            assert kind == expect, (kind, expect)
            out.append(payload)
        return out

    def join(self) -> None:
        for p in self.procs:
            p.join(10)
            if p.is_alive():
                p.kill()


def window_stats(t_arr, l_arr, t0: float, t1: float) -> dict:
    ok, timeouts, errs = [], 0, 0
    for t, lat in zip(t_arr, l_arr):
        if t0 <= t < t1:
            if lat >= 0:
                ok.append(lat)
            elif lat == -1.0:
                timeouts += 1
            else:
                errs += 1
    s = summarize(ok)
    s.update({"rate": len(ok) / (t1 - t0) if t1 > t0 else float("nan"), "timeouts": timeouts, "errors": errs})
    return s


def sql_delta(before: dict, after: dict) -> dict | None:
    return {k: after[k] - before.get(k, 0) for k in after} if after else None


def n_err_total(res: dict) -> int:
    return res.get("server_errors_ramp", 0) + res.get("server_errors_measured", 0)


def run_target(kind: str, args, cp_ids: list[str], dump=None) -> dict:
    print(f"\n--- {kind}: {len(cp_ids)} chargers, heartbeat {args.heartbeat}s ---", flush=True)
    res: dict = {"kind": kind}
    db = node = server = gens = None
    redis_db = None
    try:
        gc_prefix = common.LOG_DIR / f"gc-{kind}-{__import__('os').getpid()}" if args.hold else None
        gc_env = {"BENCH_GC_FILE": str(gc_prefix)} if gc_prefix else {}
        if kind == "baseline":
            server = BaselineServer(args.heartbeat, extra_env=gc_env).start()
            url, server_pids, pg_pids = server.ws_url, server.pids, None
        else:
            t = time.monotonic()
            db = BenchDB("ocpp")
            db.create(args.schema_method)
            app = db.app()
            from webapp.extensions import db as sqla
            with app.app_context():
                stations = stores.seed_stations(max(1, len(cp_ids) // 100))
                stores.seed_chargers(len(cp_ids), args.prefix, stations, heartbeat=args.heartbeat)
                operators = stores.seed_users(args.meter_chargers, "admin", "BT")  # staff tags: Accepted
                sqla.engine.dispose()
            res["tags"] = [u["id_tag"] for u in operators]
            print(f"schema {db.schema}: seeded {len(cp_ids)} chargers, {len(operators)} operator tags in "
                  f"{time.monotonic() - t:.1f}s", flush=True)
            redis_url = None
            if not args.no_redis:
                redis_db = RedisDB()
                redis_db.flush()
                redis_url = redis_db.url
            env = {"HEARTBEAT_INTERVAL": str(args.heartbeat), "ACCESS_LOG": "1" if args.access_log else "0", **gc_env}
            env.update(dict(kv.split("=", 1) for kv in args.server_env))
            node = Node("bench-ocpp", db.url(db.node_app_name), redis_url, workers=args.workers,
                        extra_env=env).start()
            url, server_pids, pg_pids = node.ws_url, node.pids, db.backend_pids
        res["rss_idle"] = rss_mb(server_pids())
        opts = {"heartbeat": args.heartbeat, "call_timeout": args.call_timeout,
                "ramp_concurrency": args.ramp_concurrency, "ramp_timeout": args.ramp_timeout}
        gens = Generators(url, cp_ids, args.procs, opts)

        sql = node.sql_counts if node else dict
        # ramp ----------------------------------------------------------------------------------------------
        sql0 = sql()
        cpu_ramp = CpuWindow(server_pids).start()
        ramped = gens.ask_all(("ramp", time.time() + 0.3, args.ramp_rate / args.procs), "ramped")
        res["ramp_cpu"] = cpu_ramp.stop()
        res["ramp_window"] = (time.time() - res["ramp_cpu"]["elapsed"], time.time())
        time.sleep(0.6)
        res["ramp_sql"] = sql_delta(sql0, sql())
        res["ramp_ok"] = sum(r["ok"] for r in ramped)
        n_err = {"ramp": len(node.errors()) if node else 0}
        res["ramp_s"] = max(r["ended"] for r in ramped) - min(r["began"] for r in ramped)
        res["connect"] = summarize([x for r in ramped for x in r["connect_lat"]])
        time.sleep(args.settle)
        res["rss_ramped"] = rss_mb(server_pids())
        print(f"ramp: {res['ramp_ok']}/{len(cp_ids)} connected+booted in {res['ramp_s']:.1f}s, "
              f"server RSS {res['rss_ramped']:.0f} MB", flush=True)

        # steady heartbeats ----------------------------------------------------------------------------------
        res["steady_window"] = (time.time(), time.time() + args.duration)
        w_srv, w_gen, w_all = CpuWindow(server_pids).start(), CpuWindow(gens.pids).start(), MachineCpu().start()
        w_pg = CpuWindow(pg_pids).start() if pg_pids else None
        sql0 = sql()
        time.sleep(args.duration)
        res["steady_sql"] = sql_delta(sql0, sql())
        res["steady_cpu"], res["steady_gen_cpu"], res["steady_all"] = w_srv.stop(), w_gen.stop(), w_all.stop()
        res["steady_pg_cpu"] = w_pg.stop() if w_pg else None
        res["held_steady"] = sum(gens.ask_all(("count",), "count"))
        res["rss_steady"] = rss_mb(server_pids())
        print(f"steady: {res['held_steady']} sockets held after {args.duration}s, server CPU "
              f"{res['steady_cpu']['cpu_pct']:.0f}%", flush=True)

        # meter values ---------------------------------------------------------------------------------------
        n_meter = min(args.meter_chargers, res["held_steady"])
        tags = (res.get("tags") or [f"BT{i}" for i in range(n_meter)])[:n_meter]
        for i, pipe in enumerate(gens.pipes):
            pipe.send(("prep_meter", tags[i::args.procs]))
        ready = gens.ask_all(None, "meter_ready")
        res["tx_status"] = dict(sum((Counter(r) for r in ready), Counter()))
        rows_before = db.count("meter_samples") if db else 0
        t_start = time.time() + 0.5
        res["meter_window"] = (t_start, t_start + args.meter_duration)
        gens.send("meter", t_start, t_start + args.meter_duration, args.meter_rate, args.samples)
        time.sleep(max(0.0, t_start - time.time()))
        w_srv, w_gen, w_all = CpuWindow(server_pids).start(), CpuWindow(gens.pids).start(), MachineCpu().start()
        w_pg = CpuWindow(pg_pids).start() if pg_pids else None
        sql0 = sql()
        time.sleep(args.meter_duration)
        res["meter_sql"] = sql_delta(sql0, sql())
        res["meter_cpu"], res["meter_gen_cpu"], res["meter_all"] = w_srv.stop(), w_gen.stop(), w_all.stop()
        res["meter_pg_cpu"] = w_pg.stop() if w_pg else None
        res["meter_n"] = sum(gens.ask_all(None, "meter_done", timeout=args.call_timeout + 30))
        res["held_meter"] = sum(gens.ask_all(("count",), "count"))
        res["rss_end"] = rss_mb(server_pids())
        if node:
            errs = node.errors()
            res["server_errors"] = Counter(e.split(" | ", 1)[-1] for e in errs).most_common(4)
            res["server_errors_ramp"], res["server_errors_measured"] = n_err["ramp"], len(errs) - n_err["ramp"]
        if db:
            rows, stable_since, deadline = -1, time.monotonic(), time.monotonic() + 15
            while time.monotonic() < deadline:  # a batching writer may persist after the answer
                now_rows = db.count("meter_samples")
                if now_rows != rows:
                    rows, stable_since = now_rows, time.monotonic()
                elif time.monotonic() - stable_since > 2:
                    break
                time.sleep(0.5)
            res["rows"] = rows - rows_before
            res["sessions"] = db.count("charging_sessions")
        # stop -----------------------------------------------------------------------------------------------
        finals = gens.ask_all(("stop",), "final", timeout=60)
        gens.join()
        gens = None
        hb_t = [t for f in finals for t in f["hb_t"]]
        hb_l = [x for f in finals for x in f["hb_lat"]]
        mv_t = [t for f in finals for t in f["mv_t"]]
        mv_l = [x for f in finals for x in f["mv_lat"]]
        res["hb_steady"] = window_stats(hb_t, hb_l, *res["steady_window"])
        res["hb_meter"] = window_stats(hb_t, hb_l, *res["meter_window"])
        res["mv"] = window_stats(mv_t, mv_l, *res["meter_window"])
        res["mv"]["acked"] = res["mv"]["n"]
        if gc_prefix:
            res["gc"] = {phase: gcpause.read(str(gc_prefix), *res[f"{phase}_window"]) for phase in ("ramp", "steady", "meter")}
        lag = [(f["lag"][i], f["lag"][i + 1]) for f in finals for i in range(0, len(f["lag"]), 2)]
        s0, s1 = res["steady_window"][0], res["meter_window"][1]
        res["lag"] = summarize([x for t, x in lag if s0 <= t < s1])
        errors = sum((Counter(f["errors"]) for f in finals), Counter())
        res["errors"] = errors.most_common(6)
        if dump:
            for name, (ts, ls) in (("heartbeat", (hb_t, hb_l)), ("metervalues", (mv_t, mv_l))):
                for t, x in zip(ts, ls):
                    dump.write(f"{kind},{name},{t - res['steady_window'][0]:.3f},{x * 1000 if x >= 0 else x:.3f}\n")
    finally:
        if gens is not None:
            try:
                gens.send("stop")
            except Exception:  # noqa: BLE001
                pass
            gens.join()
        if server:
            server.stop()
        if node:
            node.stop()
            if "server_errors_measured" in res:
                teardown = node.errors()[n_err_total(res):]
                res["server_errors_teardown"] = Counter(e.split(" | ", 1)[-1] for e in teardown).most_common(2)
        if db:
            db.finish(keep=args.keep_schema)
        if redis_db:
            redis_db.flush()
        if gc_prefix:
            gcpause.clear(str(gc_prefix))
    return res


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="OCPP load: baseline vs Chargeway, same run",
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--chargers", type=int, default=2000)
    p.add_argument("--duration", type=float, default=30, help="steady heartbeat window, s")
    p.add_argument("--heartbeat", type=int, default=10, help="heartbeat interval, s")
    p.add_argument("--meter-chargers", type=int, default=100, help="chargers running a transaction")
    p.add_argument("--meter-rate", type=float, default=0,
                   help="MeterValues per second per charger; 0 = back to back (one CALL outstanding)")
    p.add_argument("--meter-duration", type=float, default=20, help="MeterValues window, s")
    p.add_argument("--samples", type=int, default=3, choices=range(1, 6),
                   help="sampled values per MeterValues (Energy, Power, SoC, Current, Voltage)")
    p.add_argument("--ramp-rate", type=float, default=500, help="new connections per second (all generators)")
    p.add_argument("--ramp-concurrency", type=int, default=100, help="handshakes in flight per generator")
    p.add_argument("--ramp-timeout", type=float, default=240,
                   help="give up on chargers not booted this many seconds after the ramp starts")
    p.add_argument("--settle", type=float, default=2.0, help="pause after the ramp, s")
    p.add_argument("--call-timeout", type=float, default=30.0)
    p.add_argument("--procs", type=int, default=0, help="generator processes (0: 1 per 5000 chargers)")
    p.add_argument("--workers", type=int, default=1, help="gunicorn workers (WEB_CONCURRENCY)")
    p.add_argument("--only", choices=("baseline", "chargeway"), help="run one target only")
    p.add_argument("--no-redis", action="store_true", help="node without REDIS_URL (in-process bus)")
    p.add_argument("--access-log", action="store_true", help="ACCESS_LOG=1 on the node")
    p.add_argument("--server-env", action="append", default=[], metavar="KEY=VALUE", help="extra node env")
    p.add_argument("--schema-method", choices=("create_all", "upgrade"), default="create_all",
                   help="db.create_all() or `flask db upgrade`")
    p.add_argument("--keep-schema", action="store_true")
    p.add_argument("--dump", metavar="CSV", help="write every timed CALL (target, message, time, latency)")
    p.add_argument("--prefix", default="LB", help="charge point id prefix")
    p.add_argument("--hold", action="store_true",
                   help="GC-pause report: every collection's pause inside the server process (gc.callbacks, "
                        "BENCH_GC_FILE), worst and p99 per phase")
    args = p.parse_args(argv)
    limits = common.raise_nofile()
    if args.procs <= 0:
        args.procs = max(1, -(-args.chargers // 5000))
    common.banner("ocpp_load")
    print(f"args: {vars(args)} | RLIMIT_NOFILE {limits}", flush=True)
    if limits[0] < args.chargers // args.procs + 100:
        print(f"WARNING: open-files limit {limits[0]} is below the sockets per process", flush=True)
    cp_ids = [f"{args.prefix}{i:05d}" for i in range(args.chargers)]
    kinds = [args.only] if args.only else ["baseline", "chargeway"]
    dump = open(args.dump, "w") if args.dump else None
    if dump:
        dump.write("target,message,t_since_steady_start_s,latency_ms_or_error\n")
    results = [run_target(k, args, cp_ids, dump) for k in kinds]
    if dump:
        dump.close()
    report(results, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
