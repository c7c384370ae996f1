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

from bench import common, stores
from bench.common import fmt, print_table, ratio, summarize
from bench.procstat import CpuWindow, MachineCpu, rss_mb
from bench.ocpp_generator import generator_main
from bench.servers import BaselineServer, Node
from bench.stores import BenchDB, RedisDB

# ==============================================================================================================
# orchestration
# ==============================================================================================================
class Generators:
    def __init__(self, url: str, cp_ids: list[str], procs: int, opts: dict):
        ctx = mp.get_context("spawn")
        self.pipes, self.procs = [], []
        for i in range(procs):
            parent, child = ctx.Pipe()
            p = ctx.Process(target=generator_main, args=(child, i, url, cp_ids[i::procs], opts), daemon=True)
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
        if kind == "baseline":
            server = BaselineServer(args.heartbeat).start()
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
            env = {"HEARTBEAT_INTERVAL": str(args.heartbeat), "ACCESS_LOG": "1" if args.access_log else "0"}
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
            if args.keep_schema:
                print(f"kept schema {db.schema}")
            else:
                db.drop()
        if redis_db:
            redis_db.flush()
    return res


def report(results: list[dict], args) -> None:
    by = {r["kind"]: r for r in results}
    kinds = [k for k in ("baseline", "chargeway") if k in by]
    show_ratio = len(kinds) == 2

    def row(label, fn, digits=1, ratio_ok=True):
        vals = []
        for k in kinds:
            try:
                vals.append(fn(by[k]))
            except (KeyError, TypeError, ZeroDivisionError):
                vals.append(None)
        cells = [label] + [v if isinstance(v, str) else fmt(v, digits) for v in vals]
        if show_ratio:
            cells.append(ratio(vals[1], vals[0]) if ratio_ok and not isinstance(vals[0], str) else "")
        return cells

    def other(r, phase):
        pg = r[f"{phase}_pg_cpu"]["cpu_pct"] if r.get(f"{phase}_pg_cpu") else 0.0
        return max(0.0, r[f"{phase}_all"]["cpu_pct"] - r[f"{phase}_cpu"]["cpu_pct"] - pg
                   - r[f"{phase}_gen_cpu"]["cpu_pct"])

    def mv_sql(r):
        per_hb = {k: r["steady_sql"][k] / max(1, r["hb_steady"]["n"]) for k in ("statements", "commits")}
        st, cm = (r["meter_sql"][k] - per_hb[k] * r["hb_meter"]["n"] for k in ("statements", "commits"))
        return f"{st / r['mv']['n']:.2f} / {cm / r['mv']['n']:.2f}"

    n = args.chargers
    rows = [
        row("chargers connected+booted (of %d)" % n, lambda r: r["ramp_ok"], ratio_ok=False),
        row("ramp duration s", lambda r: r["ramp_s"]),
        row("connect+boot+status p50 ms", lambda r: r["connect"]["p50"]),
        row("connect+boot+status p99 ms", lambda r: r["connect"]["p99"]),
        row("server CPU % during ramp", lambda r: r["ramp_cpu"]["cpu_pct"], 0),
        row("server CPU ms per connect+boot+status", lambda r: 1000 * r["ramp_cpu"]["cpu_s"] / r["ramp_ok"], 1),
        row("SQL statements / commits per connect+boot+status",
            lambda r: f"{r['ramp_sql']['statements'] / r['ramp_ok']:.1f} / {r['ramp_sql']['commits'] / r['ramp_ok']:.1f}",
            ratio_ok=False),
        row("sockets held after steady phase", lambda r: r["held_steady"], ratio_ok=False),
        row("heartbeats/s answered", lambda r: r["hb_steady"]["rate"]),
        row("heartbeat p50 ms", lambda r: r["hb_steady"]["p50"], 2),
        row("heartbeat p99 ms", lambda r: r["hb_steady"]["p99"], 2),
        row("heartbeat max ms", lambda r: r["hb_steady"]["max"]),
        row("heartbeat timeouts+errors", lambda r: r["hb_steady"]["timeouts"] + r["hb_steady"]["errors"],
            ratio_ok=False),
        row("server CPU % (100 = 1 core), steady", lambda r: r["steady_cpu"]["cpu_pct"], 0),
        row("server run-queue wait, thread-s per 100 s", lambda r: r["steady_cpu"]["wait_pct"], 0,
            ratio_ok=False),
        row("server CPU ms per heartbeat", lambda r: 1000 * r["steady_cpu"]["cpu_s"] / r["hb_steady"]["n"], 2),
        row("SQL statements / commits per heartbeat",
            lambda r: f"{r['steady_sql']['statements'] / r['hb_steady']['n']:.2f} / "
                      f"{r['steady_sql']['commits'] / r['hb_steady']['n']:.2f}", ratio_ok=False),
        row("postgres backends CPU %, steady", lambda r: r["steady_pg_cpu"]["cpu_pct"], 0, ratio_ok=False),
        row("server RSS MB idle", lambda r: r["rss_idle"], 0),
        row("server RSS MB with sockets held", lambda r: r["rss_steady"], 0),
        row("server KB per held socket", lambda r: (r["rss_steady"] - r["rss_idle"]) * 1024 / r["held_steady"], 1),
        row("generator CPU %, steady", lambda r: r["steady_gen_cpu"]["cpu_pct"], 0, ratio_ok=False),
        row("machine CPU busy % (200 = both cores), steady", lambda r: r["steady_all"]["cpu_pct"], 0, ratio_ok=False),
        row("  of which other processes (neighbours)", lambda r: other(r, "steady"), 0, ratio_ok=False),
        row("machine CPU pressure % (some task waiting), steady", lambda r: r["steady_all"]["pressure_pct"], 0,
            ratio_ok=False),
        row("chargers sending MeterValues", lambda r: r["meter_n"], ratio_ok=False),
        row("MeterValues/s answered", lambda r: r["mv"]["rate"]),
        row("MeterValues p50 ms", lambda r: r["mv"]["p50"], 2),
        row("MeterValues p99 ms", lambda r: r["mv"]["p99"], 2),
        row("MeterValues timeouts+errors", lambda r: r["mv"]["timeouts"] + r["mv"]["errors"], ratio_ok=False),
        row("heartbeat p99 ms during MeterValues", lambda r: r["hb_meter"]["p99"], 2),
        row("all messages/s answered, MeterValues phase", lambda r: r["mv"]["rate"] + r["hb_meter"]["rate"]),
        row("server CPU %, MeterValues phase", lambda r: r["meter_cpu"]["cpu_pct"], 0),
        row("server run-queue wait, thread-s per 100 s, MeterValues", lambda r: r["meter_cpu"]["wait_pct"], 0,
            ratio_ok=False),
        row("server CPU ms per message, MeterValues phase",
            lambda r: 1000 * r["meter_cpu"]["cpu_s"] / (r["mv"]["n"] + r["hb_meter"]["n"]), 2),
        row("SQL statements / commits per MeterValues (heartbeats' share removed)", mv_sql, ratio_ok=False),
        row("postgres CPU ms per MeterValues", lambda r: 1000 * r["meter_pg_cpu"]["cpu_s"] / r["mv"]["n"], 2,
            ratio_ok=False),
        row("postgres backends CPU %, MeterValues phase", lambda r: r["meter_pg_cpu"]["cpu_pct"], 0,
            ratio_ok=False),
        row("generator CPU %, MeterValues phase", lambda r: r["meter_gen_cpu"]["cpu_pct"], 0, ratio_ok=False),
        row("machine CPU busy %, MeterValues phase", lambda r: r["meter_all"]["cpu_pct"], 0, ratio_ok=False),
        row("  of which other processes (neighbours)", lambda r: other(r, "meter"), 0, ratio_ok=False),
        row("machine CPU pressure %, MeterValues phase", lambda r: r["meter_all"]["pressure_pct"], 0,
            ratio_ok=False),
        row(f"meter_samples rows persisted ({args.samples}/message)", lambda r: r["rows"], ratio_ok=False),
        row("MeterValues persisted/s", lambda r: r["rows"] / args.samples / args.meter_duration, ratio_ok=False),
        row("persisted / answered", lambda r: f"{100 * r['rows'] / args.samples / max(1, r['mv']['acked']):.1f}%",
            ratio_ok=False),
        row("generator loop lag p99 ms", lambda r: r["lag"]["p99"], ratio_ok=False),
        row("server RSS MB at end", lambda r: r["rss_end"], 0),
    ]
    print()
    print_table(["metric"] + kinds + (["chargeway/baseline"] if show_ratio else []), rows)
    cw = by.get("chargeway")
    if cw:
        try:
            held, p99 = cw["held_steady"], cw["hb_steady"]["p99"]
            size = "" if args.chargers >= 10000 else f" (run at {args.chargers} chargers, not the target size)"
            ok = args.chargers >= 10000 and held >= 10000 and p99 < 100
            print(f"target: 10,000 chargers held, heartbeat p99 < 100 ms -> {held:,} held, p99 {p99:.1f} ms at "
                  f"{cw['hb_steady']['rate']:.0f} heartbeats/s{size}: {'MET' if ok else 'MISSED'}")
            persisted = cw["rows"] / args.samples / args.meter_duration
            print(f"target: >= 2,000 MeterValues/s persisted -> {persisted:,.0f}/s: "
                  f"{'MET' if persisted >= 2000 else 'MISSED'}")
        except (KeyError, TypeError):
            pass
    for r in results:
        if r.get("tx_status"):
            print(f"{r['kind']}: StartTransaction idTagInfo.status: {r['tx_status']}")
        if r.get("errors"):
            print(f"{r['kind']}: client-side errors: {r['errors']}")
        if r.get("server_errors"):
            print(f"{r['kind']}: server errors: {r['server_errors_ramp']} during the ramp, "
                  f"{r['server_errors_measured']} after it (until the end of the MeterValues phase): "
                  f"{r['server_errors']}")
        if r.get("server_errors_teardown"):
            print(f"{r['kind']}: server errors while all sockets closed at once (teardown, not measured): "
                  f"{r['server_errors_teardown']}")


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
