"""A paid slot's life through a real RQ worker (SimpleWorker with its scheduler, in this process, Redis db 7):
the reminder in the station's time and zone, ReserveNow ahead of the start, SCHEDULED -> CONFIRMED at the
start (the QR scan offers Start), and the arrival grace counted from the slot start ending in the no-show
fee. Skips loudly without Redis."""
import time
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from rq import Queue
from rq.registry import FailedJobRegistry
from sqlalchemy import select

from tests.conftest import REDIS_URL, _reachable, need
from tests.support.slots import paid_slot
from webapp.extensions import db
from webapp.models import Booking, Notification
from webapp.services.booking import scan
from webapp.services.fleet import qr
from webapp.services.platform import timers
from webapp.timeutil import as_utc, utcnow


@pytest.fixture
def app_overrides():
    if not _reachable("127.0.0.1", 6379):
        need("Redis on 127.0.0.1:6379")
    return {"REDIS_URL": REDIS_URL, "ARRIVAL_GRACE_SECONDS": 4, "SLOT_REMINDER_SECONDS": 5,
            "SLOT_RESERVE_AHEAD_SECONDS": 2}


def run_worker(redis_connection) -> None:
    """Bursts of a real RQ worker with its scheduler (due scheduled jobs are enqueued, then run) until no job is
    due: a job that enqueues another (the slot's ReserveNow) is followed within the same call, as the
    scheduler's next poll would."""
    from rq import SimpleWorker
    from rq.registry import ScheduledJobRegistry

    queue = Queue(timers.QUEUE_NAME, connection=redis_connection)
    db.session.commit()
    for _ in range(5):
        SimpleWorker([queue], connection=redis_connection).work(burst=True, with_scheduler=True)
        if not ScheduledJobRegistry(queue=queue).get_jobs_to_schedule(int(time.time())):
            break
    db.session.rollback()


def wait_past(moment) -> None:
    """Sleep past `moment` (RQ schedules to the whole second, so one more second)."""
    time.sleep(max(0.0, (as_utc(moment) - utcnow()).total_seconds()) + 1.1)


def kinds(user_id) -> list[str]:
    return list(db.session.execute(select(Notification.kind).where(Notification.user_id == user_id)
                                   .order_by(Notification.id)).scalars())


def test_the_rq_worker_reminds_reserves_starts_and_ends_the_slot(app, driver, charger, link, redis):
    connector = charger.connectors[0]
    booking = paid_slot(driver, connector, timedelta(seconds=10))
    booking_id, start, arrive_by = booking.id, as_utc(booking.slot_start), as_utc(booking.arrive_by)
    assert booking.status == "SCHEDULED" and arrive_by == start + timedelta(seconds=4)  # grace from the start
    run_worker(redis)  # the guard's jobs are due (nobody charges here); nothing else is
    if utcnow() < start - timedelta(seconds=5):  # (a loaded machine may have taken that long)
        assert "slot_reminder" not in kinds(driver.id) and "ReserveNow" not in link.actions()

    wait_past(start - timedelta(seconds=5))
    run_worker(redis)
    reminder = db.session.execute(select(Notification).where(Notification.kind == "slot_reminder")).scalar_one()
    local = start.astimezone(ZoneInfo("Asia/Kolkata"))
    assert f"{local:%H:%M}" in reminder.body and "(Asia/Kolkata)" in reminder.body
    if utcnow() < start - timedelta(seconds=2):
        assert "ReserveNow" not in link.actions()
    if utcnow() < start:
        assert scan.check(driver, qr.token_for(connector)).can_start is False  # not before the start

    wait_past(start - timedelta(seconds=2))
    run_worker(redis)
    reserve = [payload for _, action, payload in link.calls if action == "ReserveNow"]
    assert len(reserve) == 1 and reserve[0]["reservationId"] == booking_id and reserve[0]["connectorId"] == 1
    assert reserve[0]["idTag"] == driver.id_tag
    booking = db.session.get(Booking, booking_id)
    assert booking.reservation_status == "Accepted"
    assert booking.status == "SCHEDULED" or utcnow() >= start  # (the start's job may have run by now on a slow machine)

    wait_past(start)
    run_worker(redis)
    booking = db.session.get(Booking, booking_id)
    assert booking.status == "CONFIRMED" and "slot_started" in kinds(driver.id)
    assert scan.check(driver, qr.token_for(connector)).can_start is True
    db.session.commit()

    wait_past(arrive_by)
    run_worker(redis)
    booking = db.session.get(Booking, booking_id)
    assert booking.status == "NO_SHOW" and booking.amount_captured == 2000  # the tariff's session fee
    assert booking.amount_refunded == booking.amount_authorised - 2000
    assert "no_show" in kinds(driver.id)
    assert "CancelReservation" in link.actions()
    assert FailedJobRegistry(queue=Queue(timers.QUEUE_NAME, connection=redis)).count == 0
    db.session.commit()
