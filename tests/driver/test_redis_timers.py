"""With Redis: the command bus is RedisBus, the timers are RQ jobs, and a real RQ worker (SimpleWorker with
its scheduler, in this process) fires hold expiry and the arrival grace. Skips loudly without Redis."""
import time

import pytest
from sqlalchemy import select

from tests.conftest import REDIS_URL, _reachable, need
from webapp.extensions import db
from webapp.models import Booking, Notification
from webapp.services.platform import bus, timers

from .conftest import hold, pay

@pytest.fixture
def app_overrides():
    if not _reachable("127.0.0.1", 6379):
        need("Redis on 127.0.0.1:6379")
    return {"REDIS_URL": REDIS_URL, "HOLD_SECONDS": 3, "ARRIVAL_GRACE_SECONDS": 2}


def run_worker(redis_connection) -> None:
    """One burst of a real RQ worker with its scheduler: due scheduled jobs are enqueued, then run."""
    from rq import Queue, SimpleWorker

    queue = Queue(timers.QUEUE_NAME, connection=redis_connection)
    SimpleWorker([queue], connection=redis_connection).work(burst=True, with_scheduler=True)


def wait_until(moment) -> None:
    """Sleep past `moment` (RQ schedules to the whole second, so one more second)."""
    from webapp.timeutil import utcnow

    time.sleep(max(0.0, (moment - utcnow()).total_seconds()) + 1.1)


def status_of(booking_id):
    db.session.rollback()
    return db.session.execute(select(Booking.status).where(Booking.id == booking_id)).scalar_one()


def test_backends_are_redis(app, redis):
    assert isinstance(bus.get(), bus.RedisBus)
    assert isinstance(timers.backend(), timers.RQTimers)


def test_rq_worker_expires_the_hold_and_gives_the_no_show(app, client, driver, charger, redis):
    from rq import Queue
    from rq.registry import FailedJobRegistry

    booking_id = hold(client, charger.connectors[0])
    scheduled = [job_id for _, job_id, _ in timers.backend().pending()]
    assert len(scheduled) == 3  # expire_hold, hold_warning and the ReserveNow sent at the hold
    run_worker(redis)
    assert status_of(booking_id) == "HELD"  # nothing is due yet (a job run early reschedules itself)
    wait_until(db.session.get(Booking, booking_id).hold_expires_at)
    run_worker(redis)
    assert status_of(booking_id) == "EXPIRED"
    kinds = set(db.session.execute(select(Notification.kind)).scalars())
    assert {"hold_expiring", "hold_expired"} <= kinds

    booking_id = hold(client, charger.connectors[0])
    assert pay(client, booking_id).status_code == 303
    assert status_of(booking_id) == "CONFIRMED"
    wait_until(db.session.get(Booking, booking_id).arrive_by)
    run_worker(redis)
    db.session.rollback()
    booking = db.session.get(Booking, booking_id)
    assert booking.status == "NO_SHOW" and booking.amount_captured == 2000
    assert booking.amount_refunded == booking.amount_authorised - 2000
    queue = Queue(timers.QUEUE_NAME, connection=redis)
    assert FailedJobRegistry(queue=queue).count == 0
    db.session.commit()


def test_the_jobs_of_one_commit_go_to_redis_in_one_round_trip(app, redis, monkeypatch):
    """A boot batch of a reconnect storm schedules a job per charger: one pipeline, not one round trip each."""
    from redis.client import Pipeline
    from rq.registry import ScheduledJobRegistry

    from webapp.timeutil import utcnow

    executed = []
    real = Pipeline.execute
    monkeypatch.setattr(Pipeline, "execute", lambda self, *a, **kw: executed.append(len(self)) or real(self, *a, **kw))
    for n in range(25):
        timers.schedule("jobs.smart.read_configuration", utcnow(), f"RT-{n}")
    db.session.commit()
    assert len(executed) == 1
    registry = ScheduledJobRegistry(queue=timers.backend().queue)
    assert len(registry.get_job_ids()) == 25
