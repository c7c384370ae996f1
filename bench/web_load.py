"""Web load: logged-in drivers polling the htmx fragments of the driver pages, against /healthz, same node.

    python -m bench.web_load --pollers 200 --duration 20

One production Chargeway node (gunicorn gevent, 1 worker, PostgreSQL in a private schema, Redis). We seed
stations (5 chargers x 2 connectors each) and one driver per poller, each with a CHARGING booking and its
live session on a connector of its own; every poller logs in through the real /login form (CSRF token,
session cookie) and then polls, with the headers htmx sends (HX-Request, HX-Target), the fragments the
driver's phone polls:

  list     GET /?lat=..&lon=..            HX-Target: station-list   (the page polls it every 10 s)
  station  GET /stations/<id>             HX-Target: connectors     (every 5 s)
  live     GET /bookings/<id>/live        HX-Target: live-session   (every 2 s)

Phases, each --duration seconds, in this order:
  healthz closed   each poller sends GET /healthz back to back (no database): the node's HTTP floor;
  fragments closed each poller sends fragments back to back, mixed 1:2:5 (list:station:live, the htmx
                   ratio): the node's capacity and its latency when saturated;
  healthz paced    each poller sends /healthz at the rate a phone polls (0.8/s): baseline at equal load;
  fragments paced  each poller polls like the phone: live every 2 s, station every 5 s, list every 10 s.

The client is one asyncio process with one keep-alive HTTP/1.1 connection per poller (bench/clients.py);
gunicorn closes idle keep-alive connections after 5 s, so paced pollers reconnect now and then, as phones do.
"""
from __future__ import annotations

import argparse
import os
import asyncio
import random
import re
import sys
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import requests

from bench import common, stores
from bench.clients import HttpConn
from bench.common import fmt, print_table, ratio, summarize
from bench.procstat import CpuWindow, MachineCpu
from bench.servers import Node
from bench.stores import BenchDB, RedisDB

HTMX_EVERY = {"live": 2.0, "station": 5.0, "list": 10.0}  # seconds, from the templates' hx-trigger
MIX = ["list"] + ["station"] * 2 + ["live"] * 5


def seed(db: BenchDB, pollers: int) -> list[dict]:
    """Stations, chargers, drivers and one CHARGING booking + session per driver; returns the drivers."""
    from sqlalchemy import insert, select
    from webapp.extensions import db as sqla
    from webapp.models import Booking, Charger, ChargingSession, Connector
    from webapp.timeutil import utcnow

    app = db.app()
    with app.app_context():
        n_stations = max(20, -(-pollers // 10))
        stations = stores.seed_stations(n_stations)
        stores.seed_chargers(n_stations * 5, "WL", stations, connectors=2, status="Charging")
        sqla.session.execute(Charger.__table__.update().values(online=True, last_seen=utcnow()))
        drivers = stores.seed_users(pollers, "driver", "WD")
        connectors = sqla.session.execute(select(Connector.id, Charger.station_id).join(Charger)
                                          .order_by(Connector.id)).all()
        now = utcnow()
        started = now - timedelta(minutes=12)
        sqla.session.execute(insert(Booking), [
            {"user_id": d["id"], "connector_id": c.id, "status": "CHARGING", "quota_kwh": 20.0, "created_at": started,
             "hold_expires_at": started, "confirmed_at": started, "arrive_by": now + timedelta(minutes=15),
             "started_at": started, "currency": "INR", "amount_authorised": 50000}
            for d, c in zip(drivers, connectors)])
        bookings = dict(sqla.session.execute(select(Booking.user_id, Booking.id)).all())
        sqla.session.execute(insert(ChargingSession), [
            {"connector_id": c.id, "user_id": d["id"], "booking_id": bookings[d["id"]], "id_tag": d["id_tag"],
             "auth_status": "Accepted", "meter_start": 1000, "meter_last": 6500, "started_at": started,
             "energy_wh": 5500, "power_w": 7200.0, "soc_start": 20.0, "soc_last": 46.0, "currency": "INR"}
            for d, c in zip(drivers, connectors)])
        sqla.session.commit()
        for d, c in zip(drivers, connectors):
            d["booking_id"], d["station_id"] = bookings[d["id"]], c.station_id
        sqla.engine.dispose()
    return drivers


def login(base: str, email: str) -> str:
    """Log in through the form; returns the Cookie header value."""
    s = requests.Session()
    page = s.get(f"{base}/login", timeout=30)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    r = s.post(f"{base}/login", data={"email": email, "password": common.BENCH_PASSWORD,
                                      "csrf_token": token.group(1) if token else ""},
               allow_redirects=False, timeout=30)
    if r.status_code != 302:
        raise RuntimeError(f"login {email}: HTTP {r.status_code} {r.text[:200]}")
    return "; ".join(f"{k}={v}" for k, v in s.cookies.items())


def request_for(kind: str, d: dict) -> tuple[str, dict]:
    if kind == "healthz":
        return "/healthz", {}
    if kind == "list":
        return "/?lat=12.95&lon=77.55", {"HX-Request": "true", "HX-Target": "station-list"}
    if kind == "station":
        return f"/stations/{d['station_id']}", {"HX-Request": "true", "HX-Target": "connectors"}
    return f"/bookings/{d['booking_id']}/live", {"HX-Request": "true", "HX-Target": "live-session"}


async def run_phase(port: int, drivers: list[dict], mode: str, kinds: str, duration: float,
                    timeout: float) -> dict:
    """mode closed|paced, kinds healthz|fragments; returns {kind: (latencies, errors)} and the window."""
    lat: dict[str, list[float]] = defaultdict(list)
    errs: dict[str, int] = defaultdict(int)
    samples: dict[str, str] = {}
    t_start = time.monotonic() + 0.2
    t_end = t_start + duration

    async def one(conn, kind, d):
        path, headers = request_for(kind, d)
        t0 = time.perf_counter()
        try:
            status, body = await conn.get(path, headers, timeout=timeout)
        except Exception as exc:  # noqa: BLE001 - counted
            errs[f"{kind} {type(exc).__name__}"] += 1
            return
        elapsed = time.perf_counter() - t0
        if status != 200:
            errs[f"{kind} HTTP {status}"] += 1
            return
        lat[kind].append(elapsed)
        if kind not in samples:
            samples[kind] = body[:80].decode(errors="replace")

    async def closed(d):
        conn = HttpConn("127.0.0.1", port, d["cookie"])
        await asyncio.sleep(max(0.0, t_start - time.monotonic()))
        while time.monotonic() < t_end:
            kind = "healthz" if kinds == "healthz" else random.choice(MIX)
            await one(conn, kind, d)
        conn._close()

    async def paced_loop(d, kind, every):
        conn = HttpConn("127.0.0.1", port, d["cookie"])
        nxt = t_start + random.uniform(0, every)
        while nxt < t_end:
            await asyncio.sleep(max(0.0, nxt - time.monotonic()))
            await one(conn, kind, d)
            nxt += every
        conn._close()

    tasks = []
    for d in drivers:
        if mode == "closed":
            tasks.append(closed(d))
        elif kinds == "healthz":
            tasks.append(paced_loop(d, "healthz", 1 / sum(1 / e for e in HTMX_EVERY.values())))
        else:
            tasks.extend(paced_loop(d, k, e) for k, e in HTMX_EVERY.items())
    await asyncio.gather(*tasks)
    return {"lat": lat, "errors": dict(errs), "window": duration, "samples": samples}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Driver fragment polling vs /healthz on one node",
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--pollers", type=int, default=200, help="concurrent logged-in drivers")
    p.add_argument("--duration", type=float, default=20, help="seconds per phase")
    p.add_argument("--timeout", type=float, default=30, help="per request, s")
    p.add_argument("--workers", type=int, default=1, help="gunicorn workers (WEB_CONCURRENCY)")
    p.add_argument("--phases", default="healthz-closed,fragments-closed,healthz-paced,fragments-paced")
    p.add_argument("--access-log", action="store_true", help="ACCESS_LOG=1 on the node (production default)")
    p.add_argument("--server-env", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--keep-schema", action="store_true")
    args = p.parse_args(argv)
    common.raise_nofile()
    common.banner("web_load")
    print(f"args: {vars(args)}", flush=True)
    db, node, redis_db = BenchDB("web"), None, None
    results = []
    try:
        t = time.monotonic()
        db.create()
        drivers = seed(db, args.pollers)
        redis_db = RedisDB()
        redis_db.flush()
        env = {"ACCESS_LOG": "1" if args.access_log else "0"}
        env.update(dict(kv.split("=", 1) for kv in args.server_env))
        node = Node("bench-web", db.url(db.node_app_name), redis_db.url, workers=args.workers, extra_env=env).start()
        with ThreadPoolExecutor(8) as pool:
            cookies = list(pool.map(lambda d: login(node.url, d["email"]), drivers))
        for d, c in zip(drivers, cookies):
            d["cookie"] = c
        print(f"schema {db.schema}: {len(drivers)} drivers seeded and logged in in {time.monotonic() - t:.1f}s",
              flush=True)
        asyncio.run(run_phase(node.port, drivers[:10], "closed", "fragments", 2.0, args.timeout))  # warm-up
        for phase in args.phases.split(","):
            kinds, mode = phase.split("-")
            w_srv, w_pg, w_all = CpuWindow(node.pids).start(), CpuWindow(db.backend_pids).start(), MachineCpu().start()
            w_me = CpuWindow(lambda: [os.getpid()]).start()
            sql0 = node.sql_counts()
            r = asyncio.run(run_phase(node.port, drivers, mode, kinds, args.duration, args.timeout))
            time.sleep(0.6)
            sql1 = node.sql_counts()
            r["sql"] = {k: sql1[k] - sql0.get(k, 0) for k in sql1}
            r.update({"phase": phase, "cpu": w_srv.stop(), "pg": w_pg.stop(), "all": w_all.stop(), "me": w_me.stop()})
            total = sum(len(v) for v in r["lat"].values())
            print(f"{phase}: {total / args.duration:,.0f} req/s, server CPU {r['cpu']['cpu_pct']:.0f}%, "
                  f"errors {r['errors'] or 0}", flush=True)
            results.append(r)
    finally:
        if node:
            node.stop()
        db.finish(keep=args.keep_schema)
        if redis_db:
            redis_db.flush()

    rows, base = [], {}
    for r in results:
        kinds = ["healthz"] if r["phase"].startswith("healthz") else ["list", "station", "live", "all fragments"]
        for kind in kinds:
            values = [x for v in r["lat"].values() for x in v] if kind == "all fragments" else r["lat"].get(kind, [])
            s = summarize(values)
            mode = r["phase"].split("-")[1]
            if kind == "healthz":
                base[mode] = s
            errors = sum(v for k, v in r["errors"].items() if kind == "all fragments" or k.startswith(kind + " "))
            rows.append([r["phase"] if kind in ("healthz", "list") else "", kind, len(values) / r["window"],
                         s["p50"], s["p95"], s["p99"], s["max"], errors,
                         ratio(s["p95"], base[mode]["p95"]) if mode in base and kind != "healthz" else "",
                         f"{r['cpu']['cpu_pct']:.0f}" if kind in ("healthz", "all fragments") else "",
                         f"{r['cpu']['wait_pct']:.0f}" if kind in ("healthz", "all fragments") else "",
                         f"{1000 * r['cpu']['cpu_s'] / max(1, len(values)):.2f}"
                         if kind in ("healthz", "all fragments") else "",
                         f"{r['sql'].get('statements', 0) / max(1, len(values)):.1f}"
                         if kind in ("healthz", "all fragments") and r.get("sql") else "",
                         f"{r['pg']['cpu_pct']:.0f}" if kind in ("healthz", "all fragments") else "",
                         f"{r['me']['cpu_pct']:.0f}" if kind in ("healthz", "all fragments") else "",
                         f"{r['all']['cpu_pct']:.0f}" if kind in ("healthz", "all fragments") else "",
                         f"{r['all']['pressure_pct']:.0f}" if kind in ("healthz", "all fragments") else ""])
    print()
    print_table(["phase", "request", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors", "p95 vs healthz",
                 "server CPU%", "server wait%", "CPU ms/req", "SQL/req", "pg CPU%", "client CPU%", "machine CPU%",
                 "CPU pressure%"], rows)
    for r in results:
        if r["errors"]:
            print(f"{r['phase']} errors: {r['errors']}")
    for r in results:
        sql = r.get("sql") or {}
        if sql.get("checkouts"):
            print(f"{r['phase']}: {sql['checkouts']:,} pool checkouts, {sql['pool_waits_over_5ms']:,} waited > 5 ms, "
                  f"mean wait {sql['pool_wait_ms'] / sql['checkouts']:.2f} ms; "
                  f"{sql.get('connections', 0)} database connections opened")
    for r in results:
        if r["phase"].startswith("fragments"):
            st = summarize(r["lat"].get("station", []))
            print(f"target: station fragments p95 < 25 ms with 200 pollers -> {r['phase']}, {len(drivers)} pollers: "
                  f"p95 {fmt(st['p95'])} ms: {'MET' if len(drivers) >= 200 and st['p95'] < 25 else 'MISSED'}")
    print("server wait% = thread-seconds per 100 s the server's threads were runnable but queued for a CPU; "
          "CPU pressure% = share of the window in which some task on the machine waited for a CPU "
          "(/proc/pressure/cpu); machine CPU% counts every process (200 = both cores)")
    print("fragment sample:", {k: v[:60] for k, v in (results[-1]["samples"] if results else {}).items()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
