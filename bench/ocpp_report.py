"""The printed comparison of bench/ocpp_load.py: one row per figure, baseline beside Chargeway, their ratio,
and the verdict on the issue's targets."""
from __future__ import annotations

from bench.common import fmt, print_table, ratio


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
    if getattr(args, "hold", False):
        for phase in ("ramp", "steady", "meter"):
            rows += [
                row(f"GC pauses in the server, {phase}: collections (full)",
                    lambda r, ph=phase: f"{r['gc'][ph]['n']:,} ({r['gc'][ph]['full']:,})", ratio_ok=False),
                row(f"GC pause p99 ms, {phase}", lambda r, ph=phase: r["gc"][ph]["p99"], 2),
                row(f"GC pause worst ms, {phase}", lambda r, ph=phase: r["gc"][ph]["max"], 1),
                row(f"GC time ms per s, {phase}",
                    lambda r, ph=phase: r["gc"][ph]["total_ms"] / r[f"{ph}_cpu"]["elapsed"] if ph == "ramp" else
                    r["gc"][ph]["total_ms"] / (r[f"{ph}_window"][1] - r[f"{ph}_window"][0]), 1),
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
