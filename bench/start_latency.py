"""Start latency: a driver presses "Start charging" on one node, the charger's socket is on another.

    python -m bench.start_latency --iterations 200

Two production Chargeway nodes (gunicorn gevent, 1 worker each) share PostgreSQL (a private schema) and
Redis (the command bus). One lean charger (bench/clients.py LeanCharger: raw OCPP-J over `websockets`,
answering RemoteStartTransaction with Accepted) holds its socket on node A. A driver with a CONFIRMED
booking on its connector is logged in through the real /login form. Interleaved, each iteration times:

  http B->bus->A  POST /c/<qr token>/start to node B: scan check, RemoteStartTransaction over the Redis bus
                  to node A, the charger's answer back, 303 to the live page (what the phone waits for);
  http A local    the same POST to node A, which holds the socket (no bus): the baseline;
  bus only        webapp.services.platform.commands.remote_start from this process (an app with REDIS_URL, no
                  socket here): Redis route lookup, PUBLISH, node A's CALL, BLPOP of the answer;
  redis PING      one Redis round trip from this process: the floor of any bus hop.

Because the charger runs in this process, each HTTP/bus timing splits into "until the CALL reached the
charger" and "from the charger's answer to the response". The booking stays CONFIRMED (our charger never
sends StartTransaction), so the same start can be pressed again. --background N adds N heart-beating
chargers spread over both nodes, so the nodes are not idle.
"""
from __future__ import annotations

import argparse
import asyncio
import re
import sys
import threading
import time
from datetime import timedelta

import requests

from bench import common, stores
from bench.clients import BOOT, LeanCharger, status_payload
from bench.common import fmt, print_table, summarize
from bench.procstat import CpuWindow, MachineCpu
from bench.servers import Node
from bench.stores import BenchDB, RedisDB


class ChargerThread:
    """An asyncio loop in a thread: the measured charger on node A, plus optional background chargers."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.received: list[float] = []
        self.background: list[LeanCharger] = []
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coro, timeout=120):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def on_call(self, ch, action, payload):
        self.received.append(time.perf_counter())
        return {"status": "Accepted"} if action in ("RemoteStartTransaction", "RemoteStopTransaction") else {}

    async def connect(self, cp_id: str, ws_url: str) -> LeanCharger:
        ch = LeanCharger(cp_id, ws_url, on_call=self.on_call)
        await ch.connect()
        boot = await ch.call("BootNotification", BOOT)
        assert boot.get("status") == "Accepted", boot
        await ch.call("StatusNotification", status_payload())
        ch.booted = True
        return ch

    async def add_background(self, cp_ids: list[str], urls: list[str], heartbeat: float) -> int:
        sem = asyncio.Semaphore(50)

        async def one(i, cp):
            async with sem:
                try:
                    ch = LeanCharger(cp, urls[i % len(urls)])
                    await ch.connect()
                    await ch.call("BootNotification", BOOT)
                    await ch.call("StatusNotification", status_payload())
                except Exception:  # noqa: BLE001 - reported as a count
                    return
            self.background.append(ch)
            self.loop.create_task(self._beat(ch, heartbeat))

        await asyncio.gather(*(one(i, cp) for i, cp in enumerate(cp_ids)))
        return len(self.background)

    async def _beat(self, ch, every):
        import random
        await asyncio.sleep(random.uniform(0, every))
        while not ch.closed:
            try:
                await ch.call("Heartbeat", {}, 30)
            except Exception:  # noqa: BLE001
                pass
            await asyncio.sleep(every)

    def stop(self, chargers):
        async def close_all():
            await asyncio.gather(*(c.close() for c in chargers), return_exceptions=True)
            rest = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in rest:
                t.cancel()
            await asyncio.gather(*rest, return_exceptions=True)
        try:
            self.run(close_all(), timeout=30)
        except Exception:  # noqa: BLE001
            pass
        self.loop.call_soon_threadsafe(self.loop.stop)


def seed(db: BenchDB, background: int) -> dict:
    from sqlalchemy import insert, select
    from webapp.extensions import db as sqla
    from webapp.models import Booking, Charger, Connector
    from webapp.services.platform import signing
    from webapp.timeutil import utcnow

    app = db.app()
    with app.app_context():
        stations = stores.seed_stations(max(1, background // 50))
        stores.seed_chargers(1, "SL-A", stations[:1])
        bg = stores.seed_chargers(background, "SLBG", stations) if background else []
        driver = stores.seed_users(1, "driver", "SD")[0]
        connector = sqla.session.execute(select(Connector.id).join(Charger)
                                         .where(Charger.charge_point_id == "SL-A00000")).scalar_one()
        now = utcnow()
        sqla.session.execute(insert(Booking), [{
            "user_id": driver["id"], "connector_id": connector, "status": "CONFIRMED", "quota_kwh": 10.0,
            "created_at": now, "hold_expires_at": now, "confirmed_at": now, "arrive_by": now + timedelta(hours=3),
            "currency": "INR", "amount_authorised": 30000}])
        sqla.session.commit()
        booking_id = sqla.session.execute(select(Booking.id)).scalar_one()
        token = signing.sign_connector("SL-A00000", 1)
        sqla.engine.dispose()
    return {"driver": driver, "booking_id": booking_id, "token": token, "background": bg}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Start charging -> RemoteStartTransaction accepted, across nodes",
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--iterations", type=int, default=200, help="per mode")
    p.add_argument("--background", type=int, default=0, help="extra heart-beating chargers over both nodes")
    p.add_argument("--heartbeat", type=float, default=10, help="background chargers' heartbeat interval, s")
    p.add_argument("--pause", type=float, default=0.02, help="pause between iterations, s")
    p.add_argument("--server-env", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--keep-schema", action="store_true")
    args = p.parse_args(argv)
    common.raise_nofile()
    common.banner("start_latency")
    print(f"args: {vars(args)}", flush=True)
    db, nodes, redis_db, chargers = BenchDB("start"), [], None, None
    times: dict[str, list[tuple[float, float | None]]] = {}
    failures: dict[str, list[str]] = {}
    try:
        db.create()
        seeded = seed(db, args.background)
        redis_db = RedisDB()
        redis_db.flush()
        env = {"ACCESS_LOG": "0", "OCPP_CALL_TIMEOUT": "10"}
        env.update(dict(kv.split("=", 1) for kv in args.server_env))
        for name in ("node-a", "node-b"):
            nodes.append(Node(f"bench-start-{name}", db.url(db.node_app_name), redis_db.url, extra_env=env))
        for n in nodes:
            n.start()
        a, b = nodes
        chargers = ChargerThread()
        measured = chargers.run(chargers.connect("SL-A00000", a.ws_url))
        if seeded["background"]:
            held = chargers.run(chargers.add_background(seeded["background"], [a.ws_url, b.ws_url], args.heartbeat),
                                timeout=600)
            print(f"background chargers held: {held}/{args.background}", flush=True)

        http = requests.Session()
        page = http.get(f"{b.url}/login", timeout=30)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        r = http.post(f"{b.url}/login", data={"email": seeded["driver"]["email"], "password": common.BENCH_PASSWORD,
                                              "csrf_token": csrf}, allow_redirects=False, timeout=30)
        assert r.status_code == 302, r.text[:300]
        page = http.get(f"{b.url}/c/{seeded['token']}", timeout=30)
        assert "Start charging" in page.text or "start" in page.text.lower(), page.text[:300]
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        live = f"/bookings/{seeded['booking_id']}/live"

        app = db.app(redis_url=redis_db.url)
        from webapp.extensions import db as sqla
        from webapp.services.platform import commands

        def http_start(node):
            resp = http.post(f"{node.url}/c/{seeded['token']}/start", data={"csrf_token": csrf},
                             allow_redirects=False, timeout=30)
            if resp.status_code != 303 or not resp.headers.get("Location", "").endswith(live):
                raise RuntimeError(f"HTTP {resp.status_code} -> {resp.headers.get('Location')}")

        def bus_start():
            with app.app_context():
                try:
                    if not commands.remote_start("SL-A00000", 1, seeded["driver"]["id_tag"]):
                        raise RuntimeError("not accepted")
                finally:
                    sqla.session.remove()

        modes = {"http B->bus->A": lambda: http_start(b), "http A local": lambda: http_start(a),
                 "bus only": bus_start, "redis PING": lambda: redis_db.client.ping()}
        for fn in modes.values():  # warm-up: connections, caches, the bus listener
            for _ in range(3):
                fn()
        times = {m: [] for m in modes}
        failures = {m: [] for m in modes}
        w_nodes = CpuWindow(lambda: a.pids() + b.pids()).start()
        w_all = MachineCpu().start()
        for i in range(args.iterations):
            order = list(modes.items())
            if i % 2:
                order.reverse()
            for name, fn in order:
                before = len(chargers.received)
                t0 = time.perf_counter()
                try:
                    fn()
                except Exception as exc:  # noqa: BLE001 - counted
                    failures[name].append(f"{type(exc).__name__}: {str(exc)[:100]}")
                    continue
                t1 = time.perf_counter()
                got = chargers.received[before] if len(chargers.received) > before else None
                times[name].append((t1 - t0, (got - t0) if got else None))
                time.sleep(args.pause)
        nodes_cpu, machine = w_nodes.stop(), w_all.stop()
        bg_chargers = chargers.background + [measured]
    finally:
        if chargers is not None:
            chargers.stop(locals().get("bg_chargers", []))
        for n in nodes:
            n.stop()
        db.finish(keep=args.keep_schema)
        if redis_db:
            redis_db.flush()

    rows = []
    base = summarize([t for t, _ in times.get("http A local", [])])
    for name, values in times.items():
        total = summarize([t for t, _ in values])
        to_cp = summarize([c for _, c in values if c is not None])
        back = summarize([t - c for t, c in values if c is not None])
        rows.append([name, total["n"], len(failures[name]), total["p50"], total["p95"], total["p99"], total["max"],
                     to_cp["p50"] if to_cp["n"] else None, to_cp["p95"] if to_cp["n"] else None,
                     back["p50"] if back["n"] else None,
                     f"{total['p95'] / base['p95']:.2f}x" if base["n"] and name != "http A local" else ""])
    print()
    print_table(["mode", "ok", "failed", "p50 ms", "p95 ms", "p99 ms", "max ms", "to charger p50", "to charger p95",
                 "answer->done p50", "p95 vs local"], rows)
    print(f"nodes CPU {nodes_cpu['cpu_pct']:.0f}% (run-queue wait {nodes_cpu['wait_pct']:.0f}%), "
          f"machine CPU busy {machine['cpu_pct']:.0f}% of 200, CPU pressure {machine['pressure_pct']:.0f}% "
          f"(share of the run in which some task waited for a CPU)")
    for name, errs in failures.items():
        if errs:
            print(f"{name} failures: {errs[:3]}")
    cross = summarize([t for t, _ in times.get("http B->bus->A", [])])
    verdict = "MET" if cross["n"] and cross["p95"] < 250 else "MISSED"
    print(f"target: remote start across nodes p95 < 250 ms -> {fmt(cross['p95'])} ms: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
