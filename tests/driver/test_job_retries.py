"""Jobs that talk to chargers or the gateway are retried with backoff after an error: by a real RQ worker
against Redis (an RQ `Retry`), and the same way by the in-process scheduler. A retry cannot double a stop,
a reservation or a payment."""
import time

import pytest
from sqlalchemy import func, select

from tests.conftest import REDIS_URL, _reachable, need
from webapp.extensions import db
from webapp.models import Booking, ChargingSession, Payment
from webapp.services.charging import stop_retry
from webapp.services.platform import timers

from .conftest import confirmed_booking, hold

class Flaky:
    """Raises `errors` times (the database or Redis went away), then behaves."""

    def __init__(self, real, errors: int, exc=ConnectionError):
        self.real, self.errors, self.exc, self.calls = real, errors, exc, []

    def __call__(self, *args, **kwargs):
        self.calls.append(args)
        if len(self.calls) <= self.errors:
            raise self.exc("connection refused")
        return self.real(*args, **kwargs)


# -- RQ ------------------------------------------------------------------------------------------------
@pytest.fixture
def app_overrides(request):
    overrides = {"JOB_RETRY_MAX": 3, "JOB_RETRY_INTERVALS": (1, 2, 60)}
    if "rq" in request.node.name:
        if not _reachable("127.0.0.1", 6379):
            need("Redis on 127.0.0.1:6379")
        overrides["REDIS_URL"] = REDIS_URL
    return overrides


def run_worker(connection) -> None:
    """One burst of a real RQ worker with its scheduler (what `rq worker --with-scheduler` does)."""
    from rq import Queue, SimpleWorker

    SimpleWorker([Queue(timers.QUEUE_NAME, connection=connection)], connection=connection).work(
        burst=True, with_scheduler=True)


def test_rq_worker_retries_reserve_now_with_backoff_and_reserves_once(app, client, driver, charger, redis,
                                                                      monkeypatch, link):
    from rq import Queue
    from rq.job import Job
    from rq.registry import FailedJobRegistry, FinishedJobRegistry, ScheduledJobRegistry

    flaky = Flaky(link, errors=2)  # Redis under the command bus drops twice
    monkeypatch.setattr("webapp.services.platform.bus.call", flaky)
    booking_id = hold(client, charger.connectors[0])
    queue = Queue(timers.QUEUE_NAME, connection=redis)
    scheduled = ScheduledJobRegistry(queue=queue)
    reserve = next(Job.fetch(jid, connection=redis) for jid in scheduled.get_job_ids()
                   if Job.fetch(jid, connection=redis).func_name == "jobs.charging.reserve")
    assert reserve.retries_left == 3 and reserve.retry_intervals == [1, 2, 60]

    gaps = []
    for attempt in (1, 2):
        failed_at = time.time()
        run_worker(redis)
        assert len(flaky.calls) == attempt
        reserve.refresh()
        assert reserve.get_status() == "scheduled" and reserve.retries_left == 3 - attempt
        due = scheduled.get_scheduled_time(reserve).timestamp()
        gaps.append(due - failed_at)
        time.sleep(max(0.0, due - time.time()) + 1.1)  # RQ schedules to the whole second
    # The backoff: 1 s, then 2 s (RQ truncates the scheduled time to the whole second).
    assert 0 < gaps[0] <= 1.6 and 1 < gaps[1] <= 2.6
    run_worker(redis)
    reserve.refresh()
    assert reserve.get_status() == "finished" and reserve.id in FinishedJobRegistry(queue=queue).get_job_ids()
    assert FailedJobRegistry(queue=queue).count == 0
    reserves = [call for call in flaky.calls if call[1] == "ReserveNow"]
    assert len(reserves) == 3 and len({c[2]["reservationId"] for c in reserves}) == 1  # same id: replaces
    assert link.actions().count("ReserveNow") == 1  # the charger got one ReserveNow
    db.session.rollback()
    assert db.session.get(Booking, booking_id).status == "HELD"


def test_rq_job_that_keeps_failing_ends_in_the_failed_registry(app, client, driver, charger, redis,
                                                               monkeypatch, link):
    from rq import Queue
    from rq.registry import FailedJobRegistry

    app.config["JOB_RETRY_INTERVALS"] = (0,)  # no waiting: retries go straight back to the queue
    monkeypatch.setattr(timers.backend().retry, "intervals", [0])
    flaky = Flaky(link, errors=99)
    monkeypatch.setattr("webapp.services.platform.bus.call", flaky)
    hold(client, charger.connectors[0])
    run_worker(redis)
    assert len(flaky.calls) == 4  # the first run and JOB_RETRY_MAX (3) retries
    assert FailedJobRegistry(queue=Queue(timers.QUEUE_NAME, connection=redis)).count == 1


# -- in-process (embedded) -------------------------------------------------------------------------------
def test_embedded_scheduler_retries_with_the_same_backoff_and_never_doubles_a_stop(
        client, driver, charger, link, clock, run_jobs, monkeypatch, app):
    from .flow import start_tx, status
    from webapp.services.fleet import qr

    booking_id = confirmed_booking(client, charger.connectors[0])
    client.post(f"/c/{qr.token_for(charger.connectors[0])}/start")
    status("Preparing")
    tx = start_tx(driver.id_tag)
    status("Charging")
    run_jobs(clock.now)
    flaky = Flaky(stop_retry.events.record, errors=2, exc=RuntimeError)  # the charger accepted; we then fail
    monkeypatch.setattr(stop_retry.events, "record", flaky)
    assert stop_retry.request(db.session.get(ChargingSession, tx), "driver")
    db.session.commit()
    run_jobs(clock.now)
    assert link.actions().count("RemoteStopTransaction") == 1
    retry = [(at, args) for at, func, args in timers.backend().pending() if func == "jobs.charging.stop_session"]
    assert [(at - clock.now).total_seconds() for at, _ in retry] == [1.0]  # first retry after 1 s
    clock.advance(seconds=1)
    run_jobs(clock.now)
    retry = [at for at, func, _ in timers.backend().pending() if func == "jobs.charging.stop_session"]
    assert [(at - clock.now).total_seconds() for at in retry] == []  # the retry ran and claimed nothing
    # The retry found attempt 1 already claimed: no second RemoteStop within the stop's own retry period.
    assert link.actions().count("RemoteStopTransaction") == 1
    assert len(flaky.calls) == 1
    db.session.expire_all()
    session = db.session.get(ChargingSession, tx)
    assert session.booking_id == booking_id and session.stop_attempts == 1  # the booked session, stopped once


def test_embedded_retry_of_a_no_show_never_captures_twice(client, driver, charger, link, clock, run_jobs,
                                                          monkeypatch, app):
    from webapp.services.booking import bookings

    booking_id = confirmed_booking(client, charger.connectors[0])
    flaky = Flaky(bookings.notifications.notify, errors=1, exc=RuntimeError)  # fails after the capture
    monkeypatch.setattr(bookings.notifications, "notify", flaky)
    clock.advance(minutes=app.config["ARRIVAL_GRACE_MINUTES"] + 1)
    run_jobs(clock.now)
    db.session.expire_all()
    assert db.session.get(Booking, booking_id).status == "NO_SHOW" and len(flaky.calls) == 1
    retry = [at for at, func, _ in timers.backend().pending() if func == "jobs.bookings.arrival_grace"]
    assert [(at - clock.now).total_seconds() for at in retry] == [1.0]
    clock.advance(seconds=1)
    assert run_jobs(clock.now) >= 1  # the retry ran: it found the booking settled
    assert not [at for at, func, _ in timers.backend().pending() if func == "jobs.bookings.arrival_grace"]
    db.session.expire_all()
    booking = db.session.get(Booking, booking_id)
    assert booking.amount_captured == 2000
    captures = db.session.execute(select(func.count()).select_from(Payment).where(
        Payment.booking_id == booking_id, Payment.kind == "capture")).scalar_one()
    assert captures == 1


def test_a_rebalance_that_fails_is_retried(app, factory, clock, run_jobs, monkeypatch):
    """A station's re-plan (a session started or ended: its chargers' profiles) lost to a passing database
    error is run again, not left to the next periodic re-plan (CI saw SQLite's "database is locked")."""
    from webapp.services.charging import smart

    station = factory.station()
    flaky = Flaky(smart._rebalance, errors=1, exc=RuntimeError)
    monkeypatch.setattr(smart, "_rebalance", flaky)
    timers.enqueue("jobs.smart.rebalance", station.id)
    run_jobs(clock.now)
    retry = [at for at, func, _ in timers.backend().pending() if func == "jobs.smart.rebalance"]
    assert [(at - clock.now).total_seconds() for at in retry] == [1.0]
    clock.advance(seconds=1)
    run_jobs(clock.now)
    assert len(flaky.calls) == 2
    assert not [func for _, func, _ in timers.backend().pending() if func == "jobs.smart.rebalance"]
