"""40 drivers ask for "any free connector at this station" at the same moment over real HTTP: every one of
the 10 free connectors gets a hold, the 30 others a clear 409 (issue 11 point 10). Losing a race on one
connector moves on to the next free one instead of answering "just taken"."""
import threading

import pytest
import requests
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Booking

pytestmark = pytest.mark.both_dbs


def test_forty_requests_fill_all_ten_free_connectors(live_server, factory, bearer):
    station = factory.station(name="Race Station")
    for n in range(5):
        factory.charger(station=station, cp_id=f"CP-RACE-{n}", connectors=2)
    headers = [bearer(factory.user(email=f"any{n}@example.com")) for n in range(40)]
    station_id = station.id
    db.session.commit()  # SQLite: hold no lock while the server works
    barrier = threading.Barrier(40)
    answers = []

    def book(h):
        barrier.wait()
        response = requests.post(f"{live_server.url}/api/bookings", json={"station_id": station_id},
                                 headers=h, timeout=60)
        answers.append((response.status_code, response.json()))

    threads = [threading.Thread(target=book, args=(h,)) for h in headers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    statuses = sorted(code for code, _ in answers)
    assert statuses == [201] * 10 + [409] * 30, statuses
    assert len({(body["charger_id"], body["connector_id"]) for code, body in answers if code == 201}) == 10
    assert all(body["error"]["code"] == "charger_unavailable" for code, body in answers if code == 409), answers
    db.session.rollback()
    held = db.session.execute(select(func.count(Booking.id)).where(Booking.status == "HELD")).scalar_one()
    assert held == 10
