"""`rq cron jobs.cron`: periodic jobs in production (embedded mode runs them in-process).

The periods are the app's settings (webapp/config.py, read from the environment), the same the in-process
scheduler uses.
"""
from rq import cron

from jobs import maintenance, money, presence, retention, smart, sweep
from webapp.config import Config

cron.register(presence.detect_offline, queue_name="chargeway", interval=Config.OFFLINE_CHECK_SECONDS)
cron.register(sweep.run, queue_name="chargeway", interval=Config.SWEEP_SECONDS)
cron.register(maintenance.tick, queue_name="chargeway", interval=Config.MAINTENANCE_TICK_SECONDS)
cron.register(money.reconcile_payments, queue_name="chargeway", interval=Config.PAYMENT_RECONCILE_SECONDS)
cron.register(retention.run, queue_name="chargeway", interval=Config.RETENTION_SECONDS)
cron.register(smart.replan, queue_name="chargeway", interval=Config.SMART_REPLAN_SECONDS)
