"""Timer periods and the bus route TTL come from the environment, in the app and in `rq cron jobs.cron`."""
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REDIS_URL

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json
from rq import cron as rq_cron
from webapp import create_app
import jobs.cron

app = create_app()
periods = {d["func"].__module__ + "." + d["func"].__name__: d["interval"] for d in rq_cron._job_data_registry}
print(json.dumps({"sweep": app.config["SWEEP_SECONDS"], "tick": app.config["MAINTENANCE_TICK_SECONDS"],
                  "route_ttl": app.extensions["chargeway_bus"].route_ttl, "cron": periods}))
"""


def test_periods_and_route_ttl_are_read_from_the_environment():
    env = {**os.environ, "SECRET_KEY": "s" * 40, "DATABASE_URL": "sqlite://", "REDIS_URL": REDIS_URL,
           "SWEEP_SECONDS": "7", "MAINTENANCE_TICK_SECONDS": "45", "BUS_ROUTE_TTL_SECONDS": "33",
           "OFFLINE_CHECK_SECONDS": "20", "PAYMENT_RECONCILE_SECONDS": "50", "RETENTION_SECONDS": "600",
           "SMART_REPLAN_SECONDS": "90", "LOG_LEVEL": "WARNING"}
    env.pop("CHARGEWAY_PRODUCTION", None)
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert (seen["sweep"], seen["tick"], seen["route_ttl"]) == (7, 45, 33)
    assert seen["cron"] == {"jobs.sweep.run": 7, "jobs.maintenance.tick": 45, "jobs.presence.detect_offline": 20,
                            "jobs.money.reconcile_payments": 50, "jobs.retention.run": 600,
                            "jobs.smart.replan": 90}

