"""Polled fragments: station availability shared for FRAGMENT_CACHE_SECONDS and refreshed after it, per-user
parts never shared, the nav's queries only where the nav is shown, the live session read in one query."""
import re

import pytest
from sqlalchemy import event, update

from webapp.extensions import db
from webapp.models import Connector, Notification
from webapp.services.platform import snapshots

from .conftest import hold
from .pages import fragment_headers, station_cards


@pytest.fixture
def app_overrides():
    return {"FRAGMENT_CACHE_SECONDS": 2}


class Ticks:
    """The snapshot cache's clock, moved by hand."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def ticks(app):
    clock = Ticks()
    snapshots.cache().clock = clock
    return clock


@pytest.fixture
def statements(app):
    """The SQL statements run during the test, collected as they go (clear() between requests)."""
    seen = []
    listener = lambda conn, cursor, statement, *rest: seen.append(" ".join(statement.split()))  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    yield seen
    event.remove(db.engine, "before_cursor_execute", listener)


def states(client, station_id):
    html = client.get(f"/stations/{station_id}", headers=fragment_headers("connectors")).get_data(as_text=True)
    return re.findall(r'data-state="(\w+)"', html)


def fault(connector_id):
    """A StatusNotification-like change made without the ORM, as another process would make it."""
    db.session.execute(update(Connector).where(Connector.id == connector_id).values(status="Faulted"))
    db.session.commit()


def test_station_fragment_is_served_within_the_ttl_and_refreshed_after_it(client, charger, ticks):
    assert states(client, charger.station_id) == ["available", "available"]
    fault(charger.connectors[0].id)
    ticks.now += 1.9
    assert states(client, charger.station_id) == ["available", "available"]  # the snapshot, 1.9 s old
    ticks.now += 0.2
    assert states(client, charger.station_id) == ["faulted", "available"]


def test_station_list_is_served_within_the_ttl_and_refreshed_after_it(client, charger, ticks):
    def available():
        html = client.get("/?lat=12.95&lon=77.55", headers=fragment_headers("station-list")).get_data(as_text=True)
        return [card["available"] for card in station_cards(html)]

    assert available() == [2]
    fault(charger.connectors[0].id)
    assert available() == [2]
    ticks.now += 2.1
    assert available() == [1]


def test_a_booking_made_in_this_process_shows_at_once(client, driver, charger, ticks):
    assert states(client, charger.station_id) == ["available", "available"]
    hold(client, charger.connectors[1])
    assert states(client, charger.station_id) == ["available", "booked"]


def test_per_user_parts_are_not_shared(app, client, factory, login, charger, ticks):
    from flask import g

    def connectors(test_client):
        g.pop("_login_user", None)  # the tests share one app context: Flask-Login would keep the last user
        response = test_client.get(f"/stations/{charger.station_id}", headers=fragment_headers("connectors"))
        return response.get_data(as_text=True)

    visitor = app.test_client()
    login(factory.user())
    signed_in, anonymous, signed_in_again = connectors(client), connectors(visitor), connectors(client)
    assert signed_in.count('class="book"') == 2 and signed_in_again == signed_in
    assert anonymous.count("Log in to book") == 2 and 'class="book"' not in anonymous
    client.post("/logout")
    assert connectors(client).count("Log in to book") == 2


def test_a_warm_station_fragment_needs_no_database_even_signed_in(client, driver, charger, ticks, statements):
    from flask import g

    assert states(client, charger.station_id) == ["available", "available"]
    g.pop("_login_user", None)  # as in a new request (the tests share one app context)
    statements.clear()
    html = client.get(f"/stations/{charger.station_id}", headers=fragment_headers("connectors")).get_data(
        as_text=True)
    assert html.count('class="book"') == 2 and statements == []


def test_a_retired_station_is_gone_once_its_snapshot_expires(client, charger, ticks):
    assert client.get(f"/stations/{charger.station_id}").status_code == 200
    db.session.execute(update(type(charger.station)).where(type(charger.station).id == charger.station_id)
                       .values(status="retired"))
    db.session.commit()  # a Core update from elsewhere: no invalidation in this process
    ticks.now += 2.1
    assert client.get(f"/stations/{charger.station_id}").status_code == 404


def test_polled_fragments_skip_the_nav_queries_full_pages_run_them(client, driver, charger, statements):
    booking_id = hold(client, charger.connectors[0])
    db.session.add(Notification(user_id=driver.id, kind="test", title="Hello"))
    db.session.commit()
    for path, target in [("/?lat=12.95&lon=77.55", "station-list"), (f"/stations/{charger.station_id}", "connectors")]:
        statements.clear()
        html = client.get(path, headers=fragment_headers(target)).get_data(as_text=True)
        assert "data-unread" not in html and not [s for s in statements if "notifications" in s]
    for path in ("/", f"/stations/{charger.station_id}", "/notifications"):
        statements.clear()
        html = client.get(path).get_data(as_text=True)
        assert 'data-unread="1"' in html and f'href="/bookings/{booking_id}" class="nav-live"' in html, path
        assert len([s for s in statements if "count(notifications.id)" in s]) == 1  # once, however often shown
    boosted = client.get("/", headers={"HX-Request": "true", "HX-Boosted": "true", "HX-Target": "main"})
    assert 'data-unread="1"' in boosted.get_data(as_text=True)  # a boosted link is a full page: nav included


def test_live_fragment_is_one_read_of_the_booking_and_writes_nothing(client, driver, charger, statements):
    from .conftest import confirmed_booking

    booking_id = confirmed_booking(client, charger.connectors[0])
    statements.clear()
    response = client.get(f"/bookings/{booking_id}/live", headers=fragment_headers("live-session"))
    assert response.status_code == 200 and 'data-status="CONFIRMED"' in response.get_data(as_text=True)
    selects = [s for s in statements if s.startswith("SELECT")]
    assert len(selects) == 2 and "FROM users" in selects[0] and "FROM bookings" in selects[1]
    assert not [s for s in statements if s.startswith(("UPDATE", "INSERT", "DELETE"))]


def test_live_fragment_still_ends_a_grace_that_ran_out(client, driver, charger, clock, statements):
    from .conftest import confirmed_booking

    booking_id = confirmed_booking(client, charger.connectors[0])
    clock.advance(minutes=16)  # no job has run
    response = client.get(f"/bookings/{booking_id}/live", headers=fragment_headers("live-session"))
    assert response.status_code == 286 and 'data-status="NO_SHOW"' in response.get_data(as_text=True)


def test_a_warm_station_list_needs_no_database_even_signed_in(client, driver, charger, ticks, statements):
    from flask import g

    client.get("/?lat=12.95&lon=77.55", headers=fragment_headers("station-list"))
    g.pop("_login_user", None)  # as in a new request (the tests share one app context)
    statements.clear()
    response = client.get("/?lat=12.95&lon=77.55", headers=fragment_headers("station-list"))
    assert response.status_code == 200 and station_cards(response.get_data(as_text=True))[0]["available"] == 2
    assert statements == []  # not even the user: the fragment does not show who is signed in
    assert "Log out" in client.get("/").get_data(as_text=True)  # pages still know who is signed in


def test_station_fragments_share_the_list_snapshot_while_the_list_is_polled(client, factory, charger, ticks,
                                                                            statements):
    first, second = charger.station_id, factory.charger(station=factory.station(name="Other")).station_id

    def station_reads():
        return [s for s in statements if "FROM stations" in s]

    client.get("/", headers=fragment_headers("station-list"))
    statements.clear()
    assert states(client, first) and states(client, second)
    assert statements == []  # both from the list's snapshot (and a visitor needs no user)
    ticks.now += 2.1  # the list's snapshot expired a moment ago: someone is polling the list
    statements.clear()
    assert states(client, first) and states(client, second)
    assert len(station_reads()) == 1 and "stations.id =" not in station_reads()[0]  # one refresh for both
    ticks.now += 4.1  # nobody asked for the list for two TTLs: each station is read on its own
    statements.clear()
    states(client, first)
    assert len(station_reads()) == 1 and "stations.id =" in station_reads()[0]


@pytest.mark.both_dbs
def test_a_charging_live_fragment_reads_its_latest_reading_in_the_bookings_query(client, charging, clock,
                                                                                 statements):
    """The session's latest reading (where its elapsed time stands) comes in the booking's one statement."""
    from datetime import timedelta

    from webapp import timeutil
    from webapp.services.charging import transactions

    booking_id, tx = charging
    ahead = timeutil.iso(clock.now + timedelta(minutes=30))  # a charger clock ahead: the page follows it
    transactions.meter_values("CP-TEST-1", 1, tx, [{"timestamp": ahead, "sampledValue": [
        {"value": "1011000", "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]}])
    db.session.commit()
    statements.clear()
    html = client.get(f"/bookings/{booking_id}/live", headers=fragment_headers("live-session")).get_data(as_text=True)
    assert 'data-status="CHARGING"' in html and 1799 <= int(re.search(r'data-elapsed-s="(\d+)"', html).group(1)) <= 1800
    reads = [s for s in statements if s.startswith("SELECT") and "FROM users" not in s.split(" WHERE ")[0]]
    assert len(reads) == 1 and "FROM bookings" in reads[0] and "meter_samples" in reads[0]
    assert not [s for s in statements if s.startswith(("UPDATE", "INSERT", "DELETE"))]
