"""One live booking per connector, whatever the race: 20 parallel holds leave exactly one HELD booking."""
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Booking
from webapp.services.booking import bookings
from webapp.services.errors import Conflict

from ..support.races import race


def test_twenty_parallel_holds_leave_one(app, factory):
    charger = factory.charger()
    connector_id = charger.connectors[0].id
    users = [factory.user() for _ in range(20)]
    user_ids = [u.id for u in users]
    db.session.commit()  # SQLite: a reading transaction holds the write lock (BEGIN IMMEDIATE)
    outcomes = [o if o == "won" else o.message
                for o in race(app, user_ids, lambda user: bookings.place_hold(user, connector_id), Conflict)]
    assert outcomes.count("won") == 1, outcomes
    assert len(outcomes) == 20
    assert all("just taken" in o for o in outcomes if o != "won")
    held = db.session.execute(select(func.count(Booking.id)).where(Booking.status == "HELD")).scalar_one()
    assert held == 1


def test_second_live_booking_for_same_driver_is_refused(app, factory):
    charger = factory.charger()
    user = factory.user()
    bookings.place_hold(user, charger.connectors[0].id)
    try:
        bookings.place_hold(user, charger.connectors[1].id)
    except Conflict as exc:
        assert "already have a live booking" in exc.message
    else:
        raise AssertionError("a second live booking was allowed")
