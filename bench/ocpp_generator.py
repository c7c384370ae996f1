"""The load generator of bench/ocpp_load.py: one process driving its share of lean chargers through the
ramp, steady and MeterValues phases on commands from the orchestrator (over a pipe), timing every CALL.
"""
from __future__ import annotations

import asyncio
import random
import time
from array import array
from collections import Counter

from bench import common
from bench.clients import BOOT, LeanCharger, status_payload

MEASURANDS = [("Energy.Active.Import.Register", "Wh", "Outlet"), ("Power.Active.Import", "W", "Outlet"),
              ("SoC", "Percent", "EV"), ("Current.Import", "A", "Outlet"), ("Voltage", "V", "Outlet")]


def generator_main(pipe, index: int, url: str, cp_ids: list[str], opts: dict) -> None:
    common.raise_nofile()
    asyncio.run(_generator(pipe, index, url, cp_ids, opts))


async def _generator(pipe, index, url, cp_ids, opts):
    loop = asyncio.get_running_loop()
    hb = opts["heartbeat"]
    timeout = opts["call_timeout"]
    chargers = [LeanCharger(cp, url, password=opts.get("password")) for cp in cp_ids]
    hb_t, hb_lat = array("d"), array("d")   # send time (wall clock), latency s (<0: -1 timeout, -2 error)
    mv_t, mv_lat = array("d"), array("d")
    lag = array("d")
    errors: Counter = Counter()
    stopping = False

    async def recv():
        return await loop.run_in_executor(None, pipe.recv)

    async def lag_monitor():
        while not stopping:
            t = loop.time()
            await asyncio.sleep(0.1)
            lag.append(time.time())
            lag.append(loop.time() - t - 0.1)

    async def timed_call(ch, action, payload, t_arr, l_arr):
        sent = time.time()
        t0 = time.perf_counter()
        try:
            result = await ch.call(action, payload, timeout)
        except TimeoutError:
            t_arr.append(sent), l_arr.append(-1.0)
            errors[f"{action} timeout"] += 1
            return None
        except Exception as exc:  # noqa: BLE001 - counted and reported
            t_arr.append(sent), l_arr.append(-2.0)
            errors[f"{action} {type(exc).__name__}: {str(exc)[:60]}"] += 1
            return None
        t_arr.append(sent), l_arr.append(time.perf_counter() - t0)
        return result

    async def heartbeats(ch):
        await asyncio.sleep(random.uniform(0, hb))
        nxt = loop.time()
        while not stopping and not ch.closed:
            if not ch.busy:
                await timed_call(ch, "Heartbeat", {}, hb_t, hb_lat)
            nxt += hb
            await asyncio.sleep(max(0.0, nxt - loop.time()))

    connect_lat: list[float] = []
    sem = asyncio.Semaphore(opts["ramp_concurrency"])
    hb_tasks = []

    async def bring_up(i, ch, t0, rate):
        await asyncio.sleep(max(0.0, t0 + i / rate - time.time()))
        async with sem:
            start = time.perf_counter()
            try:
                await ch.connect(timeout)
                boot = await ch.call("BootNotification", BOOT, timeout)
                if boot.get("status") != "Accepted":
                    raise RuntimeError(f"boot {boot.get('status')}")
                for connector in range(1, opts.get("connectors", 1) + 1):
                    await ch.call("StatusNotification", status_payload(connector=connector), timeout)
                ch.booted = True
            except Exception as exc:  # noqa: BLE001 - counted and reported
                ch.failed = f"{type(exc).__name__}: {str(exc)[:80]}"
                errors[f"connect/boot {ch.failed}"] += 1
                await ch.close()
                return
            connect_lat.append(time.perf_counter() - start)
        hb_tasks.append(loop.create_task(heartbeats(ch)))

    lag_task = loop.create_task(lag_monitor())
    pipe.send(("ready", index))
    meter_chargers: list[LeanCharger] = []
    while True:
        cmd, *args = await recv()
        if cmd == "ramp":
            t0, rate = args
            began = time.time()
            tasks = [loop.create_task(bring_up(i, ch, t0, rate)) for i, ch in enumerate(chargers)]
            done, late = await asyncio.wait(tasks, timeout=max(1.0, t0 + opts["ramp_timeout"] - time.time()))
            for t in late:
                t.cancel()
            if late:
                await asyncio.wait(late, timeout=10)
                for ch in chargers:
                    if not ch.booted:
                        ch.failed = ch.failed or "ramp timeout"
                        await ch.close()
                errors[f"connect/boot not done within --ramp-timeout {opts['ramp_timeout']:.0f}s"] += len(late)
            pipe.send(("ramped", {"ok": len(connect_lat), "connect_lat": connect_lat, "began": began,
                                  "ended": time.time()}))
        elif cmd == "count":
            pipe.send(("count", sum(1 for ch in chargers if ch.up)))
        elif cmd == "prep_meter":
            tags, = args
            meter_chargers = [ch for ch in chargers if ch.up][:len(tags)]
            for ch in meter_chargers:
                ch.busy = True

            async def start_tx(ch, tag):
                r = await timed_call(ch, "StartTransaction", {"connectorId": 1, "idTag": tag, "meterStart": 0,
                                                              "timestamp": ch.next_timestamp()}, array("d"),
                                     array("d"))
                status = (r or {}).get("idTagInfo", {}).get("status", "no answer")
                ch.tx_id = r.get("transactionId") if r and status == "Accepted" else None
                return status

            statuses = await asyncio.gather(*(start_tx(ch, tag) for ch, tag in zip(meter_chargers, tags)))
            meter_chargers = [ch for ch in meter_chargers if ch.tx_id is not None]
            pipe.send(("meter_ready", dict(Counter(statuses))))
        elif cmd == "meter":
            t_start, t_end, rate, samples = args

            async def meter(ch):
                await asyncio.sleep(max(0.0, t_start - time.time() + random.uniform(0, 0.05)))
                energy, nxt = 0, loop.time()
                while time.time() < t_end and not ch.closed:
                    energy += 7
                    values = [{"value": str(energy if m == MEASURANDS[0][0] else 50), "measurand": m, "unit": u,
                               "location": loc} for m, u, loc in MEASURANDS[:samples]]
                    payload = {"connectorId": 1, "transactionId": ch.tx_id,
                               "meterValue": [{"timestamp": ch.next_timestamp(), "sampledValue": values}]}
                    await timed_call(ch, "MeterValues", payload, mv_t, mv_lat)
                    if rate > 0:
                        nxt += 1.0 / rate
                        await asyncio.sleep(max(0.0, nxt - loop.time()))

            await asyncio.gather(*(meter(ch) for ch in meter_chargers))
            for ch in meter_chargers:
                ch.busy = False
            pipe.send(("meter_done", len(meter_chargers)))
        elif cmd == "stop":
            stopping = True
            for t in hb_tasks:
                t.cancel()
            open_at_stop = sum(1 for ch in chargers if ch.up)
            try:
                async with asyncio.timeout(20):
                    await asyncio.gather(*(ch.close() for ch in chargers), return_exceptions=True)
            except TimeoutError:
                pass
            lag_task.cancel()
            pipe.send(("final", {"hb_t": hb_t, "hb_lat": hb_lat, "mv_t": mv_t, "mv_lat": mv_lat, "lag": lag,
                                 "errors": dict(errors), "open_at_stop": open_at_stop}))
            return
