"""Heartbeat throughput: Chargeway against a bare flask-sock gevent echo, interleaved rounds in one run.

    python -m bench.hb_compare --chargers 200 --rounds 3 --duration 10

Both servers run at once on the same gunicorn/gevent stack with one worker: (1) `bench/echo_server.py`,
a flask-sock route that answers every CALL with a CALLRESULT and does nothing else; (2) a production
Chargeway node on PostgreSQL and Redis with persistence on (last seen and the OCPP message log, through
the write-behind, exactly as in production). The same --chargers lean chargers connect and boot on each.
Each round loads one server at a time, alternating which goes first: every charger sends Heartbeat back
to back (one CALL outstanding, as OCPP-J allows) for --duration seconds. Per round and target: answers
per second, the server's CPU seconds per 1,000 messages (its process tree, from /proc), latency, the
generators' and the neighbours' CPU. The verdict is the median of the per-round ratios, each measured
within one round.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from array import array

from bench import common, gcpause, stores
from bench.clients import BOOT, LeanCharger
from bench.common import BIN, LOG_DIR, ROOT, fmt, free_port, print_table, summarize
from bench.ocpp_load import Generators
from bench.procstat import CpuWindow, MachineCpu, proc_tree, rss_mb, stop_process_group
from bench.servers import Node, _wait_http
from bench.stores import BenchDB, RedisDB


class EchoServer:
    """bench/echo_server.py under gunicorn, gevent, one worker (as the node)."""

    def __init__(self):
        self.port = free_port()
        self.ws_url = f"ws://127.0.0.1:{self.port}/ocpp"
        self.gc_prefix = LOG_DIR / f"gc-echo-{__import__('os').getpid()}"
        self.log_path = LOG_DIR / f"echo-{__import__('os').getpid()}.log"

    def start(self) -> "EchoServer":
        import os
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "python:bench.echo_server", "-k", "gevent", "-w", "1",
             "--worker-connections", "20000", "-b", f"127.0.0.1:{self.port}", "bench.echo_server:app"],
            cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "PYTHONPATH": str(ROOT), "BENCH_GC_FILE": str(self.gc_prefix)})
        _wait_http(f"http://127.0.0.1:{self.port}/healthz", self.proc, self.log_path, 30)
        return self

    def pids(self) -> list[int]:
        return proc_tree(self.proc.pid) if self.proc.poll() is None else []

    def stop(self) -> None:
        stop_process_group(self.proc, 15)
        self._log.close()


# -- load generator processes ----------------------------------------------------------------------------------
def generator_main(pipe, index: int, urls: dict, cp_ids: list[str], opts: dict) -> None:
    """One generator process (bench.ocpp_load.Generators starts them): `urls` maps target to URL."""
    common.raise_nofile()
    asyncio.run(_generator(pipe, urls, cp_ids))


async def _generator(pipe, urls, cp_ids):
    loop = asyncio.get_running_loop()
    fleets = {name: [LeanCharger(cp, url) for cp in cp_ids] for name, url in urls.items()}
    sem = asyncio.Semaphore(50)

    async def up(ch):
        async with sem:
            try:
                await ch.connect(30)
                ch.booted = (await ch.call("BootNotification", BOOT, 30)).get("status") == "Accepted"
            except Exception:  # noqa: BLE001 - counted as not up
                ch.booted = False

    pipe.send(("ready", None))
    while True:
        cmd, *args = await loop.run_in_executor(None, pipe.recv)
        if cmd == "up":
            await asyncio.gather(*(up(ch) for fleet in fleets.values() for ch in fleet))
            pipe.send(("up", {name: sum(ch.up for ch in fleet) for name, fleet in fleets.items()}))
        elif cmd == "burst":
            name, t_start, t_end = args
            lat, errors = array("d"), [0]

            async def hammer(ch):
                await asyncio.sleep(max(0.0, t_start - time.time()))
                while ch.up:
                    t0 = time.perf_counter()
                    if time.time() >= t_end:
                        return
                    try:
                        await ch.call("Heartbeat", {}, 30)
                    except Exception:  # noqa: BLE001 - counted
                        errors[0] += 1
                        continue
                    lat.append(time.perf_counter() - t0)

            await asyncio.gather(*(hammer(ch) for ch in fleets[name] if ch.up))
            pipe.send(("burst", {"n": len(lat), "lat": lat, "errors": errors[0]}))
        elif cmd == "stop":
            await asyncio.gather(*(ch.close() for fleet in fleets.values() for ch in fleet), return_exceptions=True)
            pipe.send(("stopped", None))
            return


def burst(gens: Generators, name: str, pids_fn, duration: float, gc_prefix) -> dict:
    t_start = time.time() + 0.3
    time.sleep(0.3)
    w_srv, w_gen, w_all = CpuWindow(pids_fn).start(), CpuWindow(gens.pids).start(), MachineCpu().start()
    results = gens.ask_all(("burst", name, t_start, t_start + duration), "burst", timeout=duration + 60)
    srv, gen, machine = w_srv.stop(), w_gen.stop(), w_all.stop()
    n = sum(r["n"] for r in results)
    lat = summarize([x for r in results for x in r["lat"]])
    elapsed = srv["elapsed"]
    return {"n": n, "rate": n / duration, "cpu_per_1000": 1000 * srv["cpu_s"] / max(1, n), "cpu_pct": srv["cpu_pct"],
            "gen_pct": gen["cpu_pct"], "machine_pct": machine["cpu_pct"], "pressure": machine["pressure_pct"],
            "p50": lat["p50"], "p99": lat["p99"], "errors": sum(r["errors"] for r in results),
            "gc": gcpause.read(str(gc_prefix), t_start, t_start + elapsed), "elapsed": elapsed}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Heartbeats/s: Chargeway vs a bare flask-sock echo, same run",
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--chargers", type=int, default=200)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--duration", type=float, default=10, help="seconds per burst")
    p.add_argument("--procs", type=int, default=2, help="generator processes")
    p.add_argument("--server-env", action="append", default=[], metavar="KEY=VALUE", help="extra node env")
    args = p.parse_args(argv)
    common.raise_nofile()
    common.banner("hb_compare")
    print(f"args: {vars(args)}", flush=True)
    cp_ids = [f"HB{i:05d}" for i in range(args.chargers)]
    db = BenchDB("hb")
    db.create()
    app = db.app()
    from webapp.extensions import db as sqla
    with app.app_context():
        stores.seed_chargers(args.chargers, "HB", stores.seed_stations(max(1, args.chargers // 100)))
        sqla.engine.dispose()
    redis_db = RedisDB()
    redis_db.flush()
    node_gc = LOG_DIR / f"gc-node-hb-{__import__('os').getpid()}"
    env = {"ACCESS_LOG": "0", "BENCH_GC_FILE": str(node_gc)}
    env.update(dict(kv.split("=", 1) for kv in args.server_env))
    node = echo = gens = None
    rows = []
    try:
        node = Node("bench-hb", db.url(db.node_app_name), redis_db.url, extra_env=env).start()
        echo = EchoServer().start()
        targets = {"echo": (echo.pids, echo.gc_prefix), "chargeway": (node.pids, node_gc)}
        gens = Generators({"echo": echo.ws_url, "chargeway": node.ws_url}, cp_ids, args.procs, {},
                          target=generator_main)
        idle = {"echo": rss_mb(echo.pids()), "chargeway": rss_mb(node.pids())}
        up = gens.ask_all(("up",), "up")
        up = {k: sum(u[k] for u in up) for k in targets}
        print(f"up: {up}", flush=True)
        for r in range(args.rounds):
            order = ["echo", "chargeway"] if r % 2 == 0 else ["chargeway", "echo"]
            got = {}
            for name in order:
                pids_fn, gc_prefix = targets[name]
                got[name] = burst(gens, name, pids_fn, args.duration, gc_prefix)
                print(f"round {r + 1} {name}: {got[name]['rate']:,.0f} msgs/s, "
                      f"{got[name]['cpu_per_1000']:.3f} CPU-s per 1,000", flush=True)
            rows.append(got)
        sql = node.sql_counts()
        held = {"echo": rss_mb(echo.pids()), "chargeway": rss_mb(node.pids())}
    finally:
        if gens:
            try:
                gens.ask_all(("stop",), "stopped", timeout=30)
            finally:
                gens.join()
        for server in (echo, node):
            if server:
                server.stop()
        db.finish(keep=False)
        redis_db.flush()
        for prefix in (node_gc, getattr(echo, "gc_prefix", None)):
            if prefix:
                gcpause.clear(str(prefix))
    table = []
    for i, got in enumerate(rows):
        for name in ("echo", "chargeway"):
            g = got[name]
            other = max(0.0, g["machine_pct"] - g["cpu_pct"] - g["gen_pct"])
            table.append([f"round {i + 1}", name, g["rate"], f"{g['cpu_per_1000']:.3f}", g["cpu_pct"], g["p50"],
                          g["p99"], fmt(g["gc"]["max"]), g["gen_pct"], other, g["pressure"], g["errors"]])
        table.append(["", "ratio chargeway/echo", f"{got['chargeway']['rate'] / got['echo']['rate']:.2f}x",
                      f"{got['chargeway']['cpu_per_1000'] / got['echo']['cpu_per_1000']:.2f}x"] + [""] * 8)
    print()
    print_table(["round", "target", "msgs/s", "CPU-s/1000", "server CPU %", "p50 ms", "p99 ms", "GC max ms",
                 "generators %", "neighbours %", "CPU pressure %", "errors"], table)
    rate_ratios = [got["chargeway"]["rate"] / got["echo"]["rate"] for got in rows]
    cpu_ratios = [got["chargeway"]["cpu_per_1000"] / got["echo"]["cpu_per_1000"] for got in rows]
    print(f"\nRSS idle / with {args.chargers} held, MB: echo {idle['echo']:.0f} / {held['echo']:.0f}, "
          f"chargeway {idle['chargeway']:.0f} / {held['chargeway']:.0f}")
    print(f"SQL over the run: {sql}")
    print(f"median throughput ratio chargeway/echo: {statistics.median(rate_ratios):.2f}x "
          f"(rounds: {', '.join(f'{x:.2f}' for x in rate_ratios)}); target >= 0.80x: "
          f"{'met' if statistics.median(rate_ratios) >= 0.8 else 'missed'}")
    print(f"median CPU-per-message ratio chargeway/echo: {statistics.median(cpu_ratios):.2f}x "
          f"(rounds: {', '.join(f'{x:.2f}' for x in cpu_ratios)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
