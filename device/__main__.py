"""Command line: run N simulated OCPP 1.6J chargers against a Central System.

    python -m device --url ws://127.0.0.1:5000/ocpp --count 3 --prefix SIM- --connectors 2 \
        --passwords-file chargers.json --demo --demo-id-tags TAG1,TAG2 --time-scale 60
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys

from device.charger import SimulatedCharger
from device.demo import DEMO_UNPLUG_SECONDS, run_demo
from device.meter import MeterFormat

log = logging.getLogger("device")


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m device", description=__doc__.splitlines()[0])
    p.add_argument("--url", default="ws://127.0.0.1:5000/ocpp",
                   help="base URL; /<chargePointId> is appended (default %(default)s)")
    p.add_argument("--count", type=int, default=None, help="number of chargers (default 1)")
    p.add_argument("--prefix", default="SIM-", help="id prefix: PREFIX0001, PREFIX0002, ...")
    p.add_argument("--cp-ids", help="comma-separated explicit charge point ids")
    p.add_argument("--connectors", type=int, choices=(1, 2), default=1)
    auth = p.add_mutually_exclusive_group()
    auth.add_argument("--password", help="HTTP Basic password for every charger")
    auth.add_argument("--passwords-file", help='JSON {"cp_id": "password"}; its ids are used '
                      "when neither --cp-ids nor --count is given; an AuthorizationKey the server "
                      "provisions is written back into it")
    p.add_argument("--vendor", default="Chargeway")
    p.add_argument("--model", default="SimCharger")
    p.add_argument("--no-reservation", action="store_true", help="drop the Reservation profile")
    p.add_argument("--no-smart-charging", action="store_true",
                   help="drop the SmartCharging profile (SetChargingProfile answered NotSupported)")
    p.add_argument("--charging-rate-units", default="Current,Power", choices=("Current,Power", "Current", "Power"),
                   metavar="UNITS",
                   help="ChargingScheduleAllowedChargingRateUnit: Current, Power or Current,Power (default %(default)s)")
    p.add_argument("--max-power-kw", type=float, default=22.0, help="per connector")
    p.add_argument("--battery-kwh", type=float, default=60.0)
    p.add_argument("--soc-start", type=float, default=30.0)
    p.add_argument("--solar-kw", type=float, default=0.0, help="PV peak; > 0 sends SolarProduction")
    p.add_argument("--solar-flat", action="store_true", help="constant solar output, no day curve")
    p.add_argument("--meter-interval", type=float, default=10.0, help="seconds between MeterValues")
    p.add_argument("--phases", type=int, choices=(1, 3), default=1,
                   help="3: per-phase MeterValues (L1, L2, L3) besides the totals")
    p.add_argument("--per-phase-only", action="store_true", help="with --phases 3: no totals, only phases")
    p.add_argument("--time-scale", type=float, default=1.0, help="energy flow speed-up factor")
    p.add_argument("--heartbeat", type=int, default=None,
                   help="heartbeat seconds, overriding the interval the server returns")
    p.add_argument("--demo", action="store_true", help="generate card-swipe sessions")
    p.add_argument("--demo-id-tags", default="", help="comma-separated id tags for --demo")
    p.add_argument("--demo-seed", type=int, default=None)
    p.add_argument("--demo-minutes", default="5,30", help="min,max simulated minutes per session")
    p.add_argument("--unplug-after", type=float, default=None,
                   help="seconds after a booked (remote-started) session stops until its driver unplugs and "
                        f"closes the door (default: {DEMO_UNPLUG_SECONDS:g} with --demo, else never)")
    p.add_argument("--log-level", default="INFO")
    p.add_argument("--verbose", action="store_true", help="also log every OCPP frame")
    return p.parse_args(argv)


def charger_ids(args, passwords: dict) -> list[str]:
    if args.cp_ids:
        return [cp_id.strip() for cp_id in args.cp_ids.split(",") if cp_id.strip()]
    if args.count is None and passwords:
        return list(passwords)
    return [f"{args.prefix}{n:04d}" for n in range(1, (args.count or 1) + 1)]


def unplug_delay(args) -> float | None:
    """The demo finishes what it starts: its booked sessions' drivers unplug by themselves."""
    if args.unplug_after is not None:
        return args.unplug_after
    return DEMO_UNPLUG_SECONDS if args.demo else None


def build_chargers(args) -> list[SimulatedCharger]:
    passwords = {}
    if args.passwords_file:
        with open(args.passwords_file, encoding="utf-8") as fh:
            passwords = json.load(fh)
    return [SimulatedCharger(
        cp_id, args.url, password=passwords.get(cp_id, args.password), connectors=args.connectors,
        vendor=args.vendor, model=args.model, supports_reservation=not args.no_reservation,
        max_power_kw=args.max_power_kw, battery_kwh=args.battery_kwh, soc_start=args.soc_start,
        solar_kw=args.solar_kw, solar_follow_sun=not args.solar_flat,
        meter_interval=args.meter_interval, time_scale=args.time_scale,
        heartbeat_interval=args.heartbeat, unplug_delay=unplug_delay(args),
        meter_format=MeterFormat(phases=args.phases, total=not args.per_phase_only),
        passwords_file=args.passwords_file, smart_charging=not args.no_smart_charging,
        charging_rate_units=args.charging_rate_units) for cp_id in charger_ids(args, passwords)]


async def run(args) -> None:
    chargers = build_chargers(args)
    log.info("starting %s chargers against %s", len(chargers), args.url)
    tasks = [asyncio.ensure_future(charger.run()) for charger in chargers]
    if args.demo:
        low, high = (float(x) for x in args.demo_minutes.split(","))
        tags = [t.strip() for t in args.demo_id_tags.split(",") if t.strip()]
        tasks.append(asyncio.ensure_future(run_demo(chargers, tags, seed=args.demo_seed,
                                                    minutes=(low, high))))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            pass  # not on this platform; Ctrl-C then raises KeyboardInterrupt
    await stop.wait()
    log.info("stopping")
    for task in tasks:
        task.cancel()
    await asyncio.gather(*(charger.disconnect() for charger in chargers), return_exceptions=True)
    await asyncio.gather(*tasks, return_exceptions=True)


def main(argv=None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("device.wire").setLevel(logging.INFO if args.verbose else logging.WARNING)
    logging.getLogger("websockets").setLevel(logging.WARNING)
    try:
        asyncio.run(run(args))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
