"""The group-commit flusher: what piles up during a flush is written right after it, not an interval later."""
import threading

from webapp.services.charging.writebehind import Flusher


def make(app, group_commit):
    batches, started, release = [], threading.Event(), threading.Event()

    def flush(items):
        batches.append(list(items))
        started.set()
        release.wait(10)

    return Flusher(app, "test", 30.0, flush, max_items=2, group_commit=group_commit), batches, started, release


def test_items_that_arrive_during_a_flush_are_flushed_at_once(app):
    flusher, batches, started, release = make(app, group_commit=True)
    flusher.add(1)
    flusher.add(2)  # a full batch: flushed without waiting the 30 s interval
    assert started.wait(5)
    flusher.add(3)  # arrives while [1, 2] is being written
    release.set()
    for _ in range(100):
        if len(batches) == 2:
            break
        threading.Event().wait(0.05)
    assert batches == [[1, 2], [3]]


def test_a_plain_flusher_waits_its_interval_for_the_rest(app):
    flusher, batches, started, release = make(app, group_commit=False)
    flusher.add(1)
    flusher.add(2)
    assert started.wait(5)
    flusher.add(3)
    release.set()
    threading.Event().wait(1)
    assert batches == [[1, 2]], "the third item waits for the next interval"
