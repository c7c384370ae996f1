"""The snapshot cache: TTL, one refresh at a time, nothing stored from before a commit, and which commits in
this process drop it (booking, station and tariff changes) and which rely on the TTL (connector telemetry)."""
import pytest

from webapp.extensions import db
from webapp.models import Booking
from webapp.services.platform import snapshots
from webapp.services.platform.snapshots import SnapshotCache
from webapp.timeutil import utcnow


class Ticks:
    def __init__(self):
        self.now = 50.0

    def __call__(self):
        return self.now


def counting(values):
    """compute() returning the next of `values` each call."""
    it = iter(values)
    return lambda: next(it)


def test_ttl_then_refresh():
    cache, ticks = SnapshotCache(2), Ticks()
    cache.clock = ticks
    compute = counting(["a", "b"])
    assert cache.get("k", compute) == "a"
    ticks.now += 1.99
    assert cache.get("k", compute) == "a" and cache.peek("k") == "a"
    ticks.now += 0.02
    assert cache.peek("k") is None
    assert cache.get("k", compute) == "b"


def test_zero_seconds_is_off():
    cache = SnapshotCache(0)
    compute = counting([1, 2])
    assert cache.get("k", compute) == 1 and cache.get("k", compute) == 2


def test_requests_during_a_refresh_get_the_previous_value_once_and_only_then():
    cache, ticks = SnapshotCache(2), Ticks()
    cache.clock = ticks
    cache.get("k", lambda: "old")
    ticks.now += 2.5
    seen = []

    def refresh():  # while this refresh runs (waiting on the database), another request asks
        seen.append(cache.get("k", lambda: pytest.fail("a second refresh of the same key")))
        return "new"

    assert cache.get("k", refresh) == "new" and seen == ["old"]
    ticks.now += 4  # an entry older than two TTLs is never served, even while another refresh runs
    cache._refreshing.add("k")
    assert cache.get("k", lambda: "newer") == "newer"


def test_a_value_computed_across_a_clear_is_not_kept():
    cache = SnapshotCache(2)

    def compute():
        cache.clear()  # a commit landed while we were reading
        return "maybe stale"

    assert cache.get("k", compute) == "maybe stale"
    assert cache.peek("k") is None


def test_size_is_bounded():
    cache = SnapshotCache(2, max_entries=3)
    for key in range(10):
        cache.get(key, lambda: key)
    assert len(cache._entries) <= 3 and cache.peek(9) == 9


@pytest.fixture
def warm(app):
    """The app's cache switched on; `warm.fill()` stores one entry, `warm()` says whether it is still there."""
    cache = snapshots.cache()
    cache.seconds = 60

    class Probe:
        def fill(self):
            cache.get("probe", lambda: "x")

        def __call__(self):
            return cache.peek("probe") == "x"

    return Probe()


def test_commits_that_drivers_must_see_at_once_drop_the_cache(app, factory, warm):
    warm.fill()
    charger = factory.charger()
    user = factory.user()
    assert not warm()  # creating a station and its tariff dropped it
    warm.fill()
    now = utcnow()
    booking = Booking(user_id=user.id, connector_id=charger.connectors[0].id, status="HELD", created_at=now,
                      hold_expires_at=now)
    db.session.add(booking)
    db.session.commit()
    assert not warm()
    warm.fill()
    booking.status = "CANCELLED"
    db.session.commit()
    assert not warm()
    warm.fill()
    charger.station.name = "Renamed"
    db.session.commit()
    assert not warm()


def test_other_commits_leave_it_to_the_ttl(app, factory, warm):
    charger = factory.charger()
    user = factory.user()
    now = utcnow()
    booking = Booking(user_id=user.id, connector_id=charger.connectors[0].id, status="COMPLETED", created_at=now,
                      hold_expires_at=now)
    db.session.add(booking)
    db.session.commit()
    warm.fill()
    booking.rating = 5  # not a column that decides availability
    charger.connectors[0].status = "Charging"  # telemetry: shown within the TTL
    charger.last_seen = utcnow()
    db.session.commit()
    assert warm()
