"""PostgreSQL's CPU per OCPP log row written with COPY, with and without the log's foreign key.

    python -m bench.log_rows --rows 100000 --rounds 2

In a private schema: a `chargers` table of 200 rows and three copies of the log table as migration 0026
left it (the foreign key to chargers, its ON DELETE CASCADE, and the (charger_id, id) index), as 0027
leaves it (no foreign key) and, for reference, with no secondary index either. The same heartbeat
exchange rows (CALL and answer in one row, as `writebehind.log_clean_exchange` queues them) go into each
with COPY in batches of 2,000, one transaction per batch, as the write-behind sends them; rounds
alternate the order. Per variant: the server backend's CPU (from /proc/<pid>/stat: PostgreSQL runs on
this machine) and the client's wall time per row, and the ratio to the 0027 table in the same round.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import UTC, datetime

import psycopg

from bench.common import PG_URL, print_table

VARIANTS = (("0026 (foreign key)", True, True), ("0027 (no foreign key)", False, True),
            ("no secondary index", False, False))
BATCH = 2000


def _backend_cpu(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--rounds", type=int, default=2)
    args = p.parse_args()
    schema = f"bench_log_rows_{os.getpid()}"
    conn = psycopg.connect(PG_URL.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
    cur = conn.cursor()
    print(f"== log_rows | {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC | loadavg {os.getloadavg()}")
    print(f"args: {vars(args)}")
    try:
        cur.execute(f"CREATE SCHEMA {schema}")
        cur.execute(f"CREATE TABLE {schema}.chargers (id serial PRIMARY KEY, charge_point_id text)")
        cur.execute(f"INSERT INTO {schema}.chargers (charge_point_id) SELECT 'CP-' || n FROM generate_series(1, 200) n")
        now = datetime.now(UTC)
        rows = [(i % 200 + 1, "in", "Heartbeat", str(i), f'[2,"{i}","Heartbeat",{{}}]',
                 f'[3,"{i}",{{"currentTime":"2026-12-01T22:00:00.000Z"}}]', now) for i in range(args.rows)]
        pid = conn.info.backend_pid
        results: dict[str, list[tuple[float, float]]] = {name: [] for name, _, _ in VARIANTS}
        for round_ in range(args.rounds):
            order = VARIANTS if round_ % 2 == 0 else VARIANTS[::-1]
            for n, (name, fk, index) in enumerate(order):
                table = f"{schema}.log_{round_}_{n}"
                references = f" REFERENCES {schema}.chargers (id) ON DELETE CASCADE" if fk else ""
                cur.execute(f"CREATE TABLE {table} (id serial PRIMARY KEY, charger_id integer NOT NULL{references}, "
                            "direction varchar(3) NOT NULL, action varchar(48), unique_id varchar(64), "
                            "payload text NOT NULL, answer text, created_at timestamptz NOT NULL)")
                if index:
                    cur.execute(f"CREATE INDEX ON {table} (charger_id, id)")
                cpu, wall = _backend_cpu(pid), time.perf_counter()
                for start in range(0, len(rows), BATCH):
                    with conn.transaction():
                        with cur.copy(f"COPY {table} (charger_id, direction, action, unique_id, payload, answer, "
                                      "created_at) FROM STDIN") as copy:
                            for row in rows[start:start + BATCH]:
                                copy.write_row(row)
                results[name].append(((_backend_cpu(pid) - cpu) * 1e6 / len(rows),
                                      (time.perf_counter() - wall) * 1e6 / len(rows)))
                print(f"round {round_ + 1} {name}: PostgreSQL {results[name][-1][0]:.1f} us of CPU per row", flush=True)
    finally:
        cur.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.close()
    reference = statistics.median(cpu for cpu, _ in results[VARIANTS[1][0]])
    table = []
    for name, _, _ in VARIANTS:
        cpu = statistics.median(c for c, _ in results[name])
        wall = statistics.median(w for _, w in results[name])
        table.append([name, f"{cpu:.1f}", f"{wall:.1f}", f"{cpu / reference:.2f}x"])
    print()
    print_table(["log table", "PostgreSQL CPU us/row", "client wall us/row", "CPU vs 0027"], table)


if __name__ == "__main__":
    main()
