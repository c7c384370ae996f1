"""The benchmarks' data: a private PostgreSQL schema per run with bulk seeding and counts, and the
benchmarks' own Redis database.
"""
from __future__ import annotations

import os
import secrets
import subprocess

from bench.common import BENCH_PASSWORD, BIN, PG_URL, QR_SIGNING_KEY, REDIS_URL, ROOT, SECRET_KEY


# -- PostgreSQL: a private schema per run ----------------------------------------------------------------------
class BenchDB:
    """A fresh PostgreSQL schema, its tables, bulk seeding, and row counts."""

    def __init__(self, tag: str, pg_url: str = PG_URL):
        self.pg_url = pg_url
        self.schema = f"bench_{tag}_{os.getpid()}_{secrets.token_hex(3)}"
        self._engine = None

    def url(self, app_name: str) -> str:
        """A DATABASE_URL for this schema; `application_name` lets us find the server's backends."""
        return f"{self.pg_url}?options=-csearch_path%3D{self.schema}&application_name={app_name}"

    @property
    def node_app_name(self) -> str:
        return f"{self.schema}-node"

    def engine(self):
        if self._engine is None:
            from sqlalchemy import create_engine
            self._engine = create_engine(self.pg_url, pool_size=2)
        return self._engine

    def sql(self, statement: str, *params):
        from sqlalchemy import text
        with self.engine().begin() as conn:
            result = conn.exec_driver_sql(statement, *params) if params else conn.execute(text(statement))
            try:
                return result.all()
            except Exception:  # noqa: BLE001 - statements without rows
                return None

    def create(self, method: str = "create_all") -> None:
        self.sql(f'CREATE SCHEMA "{self.schema}"')
        if method == "upgrade":
            env = {**os.environ, "DATABASE_URL": self.url(f"{self.schema}-migrate"), "PYTHONPATH": str(ROOT),
                   "SECRET_KEY": SECRET_KEY, "QR_SIGNING_KEY": QR_SIGNING_KEY}
            env.pop("CHARGEWAY_PRODUCTION", None)
            subprocess.run([str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                           capture_output=True, timeout=120)
        else:
            from webapp.extensions import db
            app = self.app()
            with app.app_context():
                db.create_all()
                db.engine.dispose()

    def app(self, redis_url: str | None = None):
        """This process's own view of the schema (seeding; the command bus when `redis_url` is given)."""
        from webapp import create_app
        from webapp.config import Config

        attrs = {"SQLALCHEMY_DATABASE_URI": self.url(f"{self.schema}-bench"), "REDIS_URL": redis_url,
                 "SECRET_KEY": SECRET_KEY, "QR_SIGNING_KEY": QR_SIGNING_KEY, "EMBEDDED_SCHEDULER": False,
                 "NODE_ID": f"bench-client-{os.getpid()}", "OCPP_CALL_TIMEOUT": 10.0}
        return create_app(type("BenchConfig", (Config,), attrs))

    def count(self, table: str, where: str = "") -> int:
        return self.sql(f'SELECT count(*) FROM "{self.schema}".{table} {where}')[0][0]

    def backend_pids(self) -> list[int]:
        rows = self.sql("SELECT pid FROM pg_stat_activity WHERE application_name = %s", (self.node_app_name,))
        return [r[0] for r in rows or []]

    def finish(self, keep: bool) -> None:
        """The end of a run: drop the schema, or keep it (`--keep-schema`) and say which it was."""
        if keep:
            print(f"kept schema {self.schema}")
        else:
            self.drop()

    def drop(self) -> None:
        try:
            self.sql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE "
                     f"'{self.schema}%' AND pid <> pg_backend_pid()")
            self.sql(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
        finally:
            if self._engine is not None:
                self._engine.dispose()


def shared_password_hash() -> str:
    """One cheap hash for every bench account, computed once (logins stay fast; never for real accounts)."""
    from werkzeug.security import generate_password_hash
    return generate_password_hash(BENCH_PASSWORD, method="pbkdf2:sha256:1000")


def seed_stations(n: int, prefix: str = "Bench") -> list[int]:
    """A tariff and `n` always-open stations around Bengaluru; call inside an app context."""
    from sqlalchemy import insert, select
    from webapp.extensions import db
    from webapp.models import Station, Tariff

    tariff = Tariff(name=f"{prefix} tariff", currency="INR", price_per_kwh=1800, session_fee=2000,
                    idle_fee_per_minute=500)
    db.session.add(tariff)
    db.session.flush()
    rows = [{"name": f"{prefix} station {i:04d}", "address": f"{i} Bench Road", "latitude": 12.90 + (i % 20) * 0.01,
             "longitude": 77.50 + (i // 20) * 0.01, "timezone": "Asia/Kolkata", "always_open": True,
             "tariff_id": tariff.id, "opening_hours": {}} for i in range(n)]
    if rows:
        db.session.execute(insert(Station), rows)
    db.session.commit()
    return list(db.session.execute(select(Station.id).where(Station.name.like(f"{prefix} station %"))
                                   .order_by(Station.id)).scalars())


def seed_chargers(n: int, prefix: str, station_ids: list[int] | None = None, heartbeat: int = 300,
                  connectors: int = 1, status: str = "Available", password_hash: str | None = None,
                  known: bool = False) -> list[str]:
    """`n` accepted chargers, `connectors` connectors each, with plain bulk INSERTs; without a password
    unless `password_hash` (one hash shared by all: seeding never hashes per row). `known`: as a node finds
    them after another node's loss: their Smart Charging keys read for the identity they boot with
    (bench.clients.BOOT) moments ago, so their boot schedules no GetConfiguration."""
    from sqlalchemy import insert, select
    from webapp.extensions import db
    from webapp.models import Charger, Connector

    cp_ids = [f"{prefix}{i:05d}" for i in range(n)]
    seen = {}
    if known:
        from bench.clients import BOOT
        from webapp.services.charging import smart
        from webapp.timeutil import iso, utcnow

        seen = {"firmware_version": BOOT["firmwareVersion"], "smart_config": {
            "ChargeProfileMaxStackLevel": "3", smart.READ_MARK: {"at": iso(utcnow()), "boot": smart.boot_identity(
                BOOT["chargePointVendor"], BOOT["chargePointModel"], BOOT["firmwareVersion"])}}}
    for start in range(0, n, 2000):
        chunk = cp_ids[start:start + 2000]
        db.session.execute(insert(Charger), [
            {"charge_point_id": cp, "station_id": station_ids[(start + j) % len(station_ids)] if station_ids else None,
             "registration_status": "Accepted", "heartbeat_interval": heartbeat, "password_hash": password_hash,
             "supports_reservation": True, "vendor": "Bench", "model": "Lean", **seen} for j, cp in enumerate(chunk)])
        ids = db.session.execute(select(Charger.id).where(Charger.charge_point_id.in_(chunk))).scalars().all()
        db.session.execute(insert(Connector), [
            {"charger_id": cid, "connector_id": k, "status": status, "max_power_kw": 22.0}
            for cid in ids for k in range(1, connectors + 1)])
    db.session.commit()
    return cp_ids


def seed_users(n: int, role: str, prefix: str, password_hash: str | None = None) -> list[dict]:
    """`n` accounts sharing one password hash; id tags `<prefix><i>` (at most 20 characters)."""
    from sqlalchemy import insert, select
    from webapp.extensions import db
    from webapp.models import User

    password_hash = password_hash or shared_password_hash()
    rows = [{"email": f"{prefix.lower()}{i}@bench.example", "name": f"{prefix} {i}", "password_hash": password_hash,
             "role": role, "active": True, "id_tag": f"{prefix}{i}"[:20]} for i in range(n)]
    for start in range(0, n, 2000):
        db.session.execute(insert(User), rows[start:start + 2000])
    db.session.commit()
    found = db.session.execute(select(User.id, User.email, User.id_tag).where(User.email.like("%@bench.example"),
                                                                            User.role == role)).all()
    by_email = {r.email: r for r in found}
    return [{"id": by_email[r["email"]].id, "email": r["email"], "id_tag": r["id_tag"]} for r in rows]


class RedisDB:
    """The benchmarks' own Redis database, flushed before and after a run. Two benchmarks at once would
    flush each other's command routes mid-run (seen: a cross-node start failing 'not connected'), so a
    run holds `bench:owner` there and a second one refuses to start."""

    def __init__(self, url: str = REDIS_URL):
        import redis
        self.url = url
        self.client = redis.Redis.from_url(url)
        self.client.ping()
        owner = self.client.get("bench:owner")
        if owner is not None and _alive(int(owner)) and int(owner) != os.getpid():
            raise SystemExit(f"another benchmark (pid {int(owner)}) is using {url}; run benchmarks one at a "
                             "time, or give this one its own database with BENCH_REDIS_URL")

    def flush(self) -> None:
        """Empty the database; this run keeps holding it until the process ends."""
        self.client.flushdb()
        self.client.set("bench:owner", os.getpid(), ex=6 * 3600)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
