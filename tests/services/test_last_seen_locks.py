"""The batched last-seen write never waits for a charger row another transaction holds (a boot or socket
batch locking the same rows in another order deadlocked with it, and the whole batch of last-seen was lost):
it skips that charger, writes the others, and writes the skipped one in its next batch."""
import threading
import time
from datetime import timedelta

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Charger
from webapp.services.charging import writebehind
from webapp.timeutil import utcnow


def _seen(cp_id):
    db.session.rollback()
    return db.session.execute(select(Charger.last_seen).where(Charger.charge_point_id == cp_id)).scalar_one()


def test_a_held_row_is_skipped_and_written_in_the_next_batch(app, factory, backend):
    if backend == "sqlite":  # no row locks there (its writers are serialised): every known charger at once
        factory.charger(cp_id="LS-ONE", online=True)
        db.session.commit()
        now, requeued = utcnow(), []
        writebehind._flush_presence([("LS-ONE", now, "s", True), ("LS-NOBODY", now, "x", True)],
                                    requeue=requeued.extend)
        assert _seen("LS-ONE") == now and requeued == []  # the unknown id dropped
        return
    for cp_id in ("LS-HELD", "LS-FREE"):
        factory.charger(cp_id=cp_id, online=True)
    db.session.commit()
    then = utcnow() - timedelta(minutes=5)
    db.session.execute(Charger.__table__.update().values(last_seen=then))
    db.session.commit()
    now = utcnow()
    items = [("LS-HELD", now - timedelta(seconds=1), "sock-h", True), ("LS-HELD", now, "sock-h", True),
             ("LS-FREE", now, "sock-f", True), ("LS-NOBODY", now, "sock-x", True)]
    locked, release = threading.Event(), threading.Event()

    def hold_the_row():  # another transaction (a boot batch, say) holds LS-HELD's row
        with app.app_context():
            with db.engine.connect() as conn:
                conn.execute(select(Charger.id).where(Charger.charge_point_id == "LS-HELD").with_for_update())
                locked.set()
                release.wait(30)
                conn.rollback()

    holder = threading.Thread(target=hold_the_row)
    holder.start()
    try:
        assert locked.wait(10)
        requeued = []
        started = time.monotonic()
        writebehind._flush_presence(items, requeue=requeued.extend)
        assert time.monotonic() - started < 5  # it did not wait for the lock
        assert _seen("LS-FREE") == now and _seen("LS-HELD") == then
        assert requeued == [("LS-HELD", now, "sock-h", True)]  # the newest of its socket; the unknown id dropped
    finally:
        release.set()
        holder.join(30)
    writebehind._flush_presence(requeued, requeue=requeued.extend)
    assert _seen("LS-HELD") == now


def test_a_requeue_from_the_flush_itself_never_blocks(app):
    flusher = writebehind.Flusher(app, "t-requeue", 60, lambda items: None)
    flusher.bound = 1
    flusher._items = ["already full"]
    flusher.requeue(["a", "b"])  # add() would wait here for room only this thread could make
    assert flusher._items == ["already full", "a", "b"]
