"""Nothing delivered goes unbilled with a real charger over WebSocket: a simulated charger meters far past its
quota between two readings (2.2 kWh a reading on a 1 kWh quota), the authorisation is raised by the top-up
job on the way, and what the card still cannot cover is owed on the balance: captured + outstanding == total."""
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Payment
from webapp.services import ledger

from .test_golden_flow import ApiClient


def test_a_charger_metering_past_the_quota_is_topped_up_and_the_rest_owed(app, factory, live_server, sim, scheduler):
    station = factory.station(name="Overrun Hub")
    factory.charger(station=station, cp_id="CP-OVER", connectors=1, password="sim-secret", online=False,
                    status="Unavailable")
    user = factory.user(email="over@example.com", password="over-pass-1")
    user_id = user.id
    db.session.commit()
    charger = sim.add("CP-OVER", live_server.ws_url, password="sim-secret", connectors=1, meter_interval=0.3,
                      time_scale=1200.0)
    assert charger.connect() == "Accepted"
    charger.wait_status(1, "Available")
    client = ApiClient(live_server.url)
    client.token = client.ok("POST", "/api/auth/token", {"email": "over@example.com", "password": "over-pass-1"},
                             status=201)["access_token"]
    booking = client.ok("POST", "/api/bookings", {"charger_id": "CP-OVER", "connector_id": 1}, status=201)
    paid = client.ok("POST", "/api/payments/process", {"booking_id": booking["id"], "quota_kwh": 1,
                                                      "payment_method": "card", "payment_details": "4242424242424242"},
                     headers={"Idempotency-Key": "overrun-pay-1"})
    first_authorisation = paid["amount"]
    client.ok("POST", "/api/charging/start", {"charger_id": "CP-OVER", "connector_id": 1})
    client.poll(f"/api/bookings/{booking['id']}", lambda b: b["status"] == "FINISHING", timeout=20)
    charger.finish(1)
    client.poll(f"/api/bookings/{booking['id']}", lambda b: b["status"] == "COMPLETED", timeout=20)
    receipt = client.ok("GET", f"/api/bookings/{booking['id']}/receipt")
    assert "outstanding" in receipt, receipt  # today: the receipt has no such line, the overrun vanishes
    total = receipt["breakdown"]["total"]
    assert receipt["energy_kwh"] > 2  # the charger overran the 1 kWh quota
    increments = db.session.execute(select(Payment).where(Payment.booking_id == booking["id"],
                                                          Payment.kind == "increment")).scalars().all()
    assert increments and all(p.status == "succeeded" for p in increments)
    assert receipt["authorised"] == first_authorisation + sum(p.amount for p in increments)
    assert receipt["captured"] == min(total, receipt["authorised"])
    assert receipt["captured"] + receipt["outstanding"] == total
    assert ledger.outstanding(user_id) == receipt["outstanding"] == receipt["outstanding_due"]
    db.session.commit()  # SQLite: the test thread must not hold the write lock while the server works
    balance = client.ok("GET", "/api/balance")
    assert balance["outstanding"] == receipt["outstanding"]
