"""20 drivers press Book on the same connector at the same moment, through the web app: exactly one HELD
booking, and 19 clear "just taken" answers (409 for JSON). On SQLite and on PostgreSQL."""
import threading

import pytest
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Booking

pytestmark = pytest.mark.both_dbs


def test_twenty_parallel_book_requests_leave_one_hold(app, factory):
    charger = factory.charger()
    connector_id = charger.connectors[0].id
    clients = []
    for n in range(20):
        email = f"racer{n}@example.com"
        factory.user(email=email)
        db.session.commit()  # SQLite: the test's transaction would hold the write lock
        client = app.test_client()
        with app.app_context():  # a fresh `g`: the test's own app context remembers the last signed-in user
            assert client.post("/login", data={"email": email, "password": "charge-test-pass"}).status_code == 302
        clients.append(client)
    db.session.commit()  # SQLite: hold no lock while the others run
    barrier = threading.Barrier(20)
    answers = []

    def book(client):
        with app.app_context():
            barrier.wait()
            response = client.post("/bookings", data={"connector_id": connector_id},
                                   headers={"Accept": "application/json"})
            answers.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=book, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    statuses = sorted(code for code, _ in answers)
    assert statuses == [201] + [409] * 19, statuses
    assert all("just taken" in body["error"]["message"] for code, body in answers if code == 409)
    db.session.rollback()
    held = db.session.execute(select(func.count(Booking.id)).where(Booking.status == "HELD")).scalar_one()
    assert held == 1
