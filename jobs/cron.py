"""`rq cron jobs.cron`: periodic jobs in production (embedded mode runs them in-process)."""
import os

from rq import cron

from jobs import maintenance, presence, retention, sweep

cron.register(presence.detect_offline, queue_name="chargeway",
              interval=int(os.environ.get("OFFLINE_CHECK_SECONDS", 30)))
cron.register(sweep.run, queue_name="chargeway", interval=int(os.environ.get("SWEEP_SECONDS", 15)))
cron.register(maintenance.tick, queue_name="chargeway", interval=60)
cron.register(retention.run, queue_name="chargeway", interval=int(os.environ.get("RETENTION_SECONDS", 3600)))
