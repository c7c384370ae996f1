"""A scripted mobile client completes the golden flow through the JSON API alone, against the simulator:
token, find, hold, pay, start, stop, (the driver unplugs), receipt, stats."""
import json
import time
import urllib.error
import urllib.request

from webapp.extensions import db


class ApiClient:
    """What a mobile app does: JSON over HTTP with a Bearer token, nothing else."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.token = None

    def call(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    def ok(self, method: str, path: str, body: dict | None = None, headers: dict | None = None,
           status: int = 200) -> dict:
        got, payload = self.call(method, path, body, headers)
        assert got == status, (method, path, got, payload)
        return payload

    def poll(self, path: str, predicate, timeout: float = 15.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            payload = self.ok("GET", path)
            if predicate(payload):
                return payload
            assert time.monotonic() < deadline, f"{path} never satisfied the condition; last: {payload}"
            time.sleep(0.1)


def test_golden_flow_through_the_api_alone(app, factory, live_server, sim):
    station = factory.station(name="Golden Hub", latitude=12.9716, longitude=77.5946)
    factory.charger(station=station, cp_id="CP-GOLD", connectors=1, password="sim-secret", online=False,
                    status="Unavailable")
    factory.user(email="golden@example.com", password="golden-pass-1", battery_kwh=60.0)
    station_id = station.id
    db.session.commit()  # SQLite: the test thread must not hold the write lock while the server works

    charger = sim.add("CP-GOLD", live_server.ws_url, password="sim-secret", connectors=1, meter_interval=0.3,
                      time_scale=60.0)
    assert charger.connect() == "Accepted"
    charger.wait_status(1, "Available")

    app_client = ApiClient(live_server.url)
    app_client.poll(f"/api/stations/{station_id}/status", lambda s: s["availability"]["available"] == 1)

    # 1. token
    token = app_client.ok("POST", "/api/auth/token", {"email": "golden@example.com", "password": "golden-pass-1"},
                          status=201)
    assert token["token_type"] == "Bearer" and token["expires_in"] > 0
    app_client.token = token["access_token"]

    # 2. find the station nearby and a free connector
    found = app_client.ok("GET", "/api/stations?lat=12.97&lon=77.59&available=true")
    assert [s["name"] for s in found["stations"]] == ["Golden Hub"]
    assert found["stations"][0]["is_open"] is True and found["stations"][0]["distance_km"] < 1
    free = app_client.ok("GET", f"/api/stations/{station_id}/chargers/available")["connectors"]
    assert [(c["charger_id"], c["connector_id"]) for c in free] == [("CP-GOLD", 1)]

    # 3. hold
    booking = app_client.ok("POST", "/api/bookings", {"charger_id": "CP-GOLD", "connector_id": 1}, status=201)
    assert booking["status"] == "HELD" and booking["hold_seconds_left"] > 0

    # 4. pay (a retry with the same key answers the same and charges once)
    quote = app_client.ok("GET", f"/api/bookings/{booking['id']}/quote?quota_kwh=20")
    pay = {"booking_id": booking["id"], "quota_kwh": 20, "payment_method": "card",
           "payment_details": "4242 4242 4242 4242", "amount": quote["amount"]}
    paid = app_client.ok("POST", "/api/payments/process", pay, headers={"Idempotency-Key": "golden-pay-0001"})
    again = app_client.ok("POST", "/api/payments/process", pay, headers={"Idempotency-Key": "golden-pay-0001"})
    assert paid["booking"]["status"] == again["booking"]["status"] == "CONFIRMED"
    assert paid["transaction_id"] == again["transaction_id"] and paid["amount"] == quote["amount"]

    # 5. start: RemoteStart -> door unlocks -> EV plugged -> StartTransaction
    started = app_client.ok("POST", "/api/charging/start", {"charger_id": "CP-GOLD", "connector_id": 1})
    assert started["success"] is True and started["booking_id"] == booking["id"]
    active = app_client.poll("/api/charging/sessions/active",
                             lambda p: p["session"] and p["session"]["status"] == "active"
                             and p["session"]["energySource"] == "meter" and p["session"]["energyDelivered"] > 0)
    transaction_id = active["session"]["transactionId"]
    assert app_client.ok("GET", f"/api/bookings/{booking['id']}")["status"] == "CHARGING"

    # 6. stop from the phone; StopTransaction makes the booking FINISHING
    stopped = app_client.ok("POST", "/api/charging/stop", {"transaction_id": transaction_id})
    assert stopped["transaction_id"] == transaction_id
    app_client.poll(f"/api/bookings/{booking['id']}", lambda b: b["status"] == "FINISHING")

    # the driver unplugs and closes the door: the connector is Available, the booking completes
    charger.finish(1)
    app_client.poll(f"/api/bookings/{booking['id']}", lambda b: b["status"] == "COMPLETED")

    # 7. receipt: the real energy captured, the rest of the authorisation refunded
    receipt = app_client.ok("GET", f"/api/bookings/{booking['id']}/receipt")
    assert receipt["final"] is True and receipt["energy_kwh"] > 0 and receipt["capped"] is False
    assert receipt["captured"] == receipt["breakdown"]["total"] > 0
    assert receipt["captured"] + receipt["refunded"] == receipt["authorised"] == quote["amount"]
    assert [p["kind"] for p in receipt["payments"]] == ["authorise", "capture", "refund"]
    assert all(p["status"] == "succeeded" for p in receipt["payments"])

    # 8. stats
    stats = app_client.ok("GET", "/api/charging/stats")["stats"]
    assert stats["totalSessions"] == 1
    assert stats["totalEnergyUsed"] == round(receipt["energy_kwh"], 2)
    assert stats["totalSpent"] == receipt["captured"] and stats["currency"] == "INR"
    assert stats["favoriteStation"] == "Golden Hub"
    assert stats["monthlyUsage"][-1]["sessions"] == 1
    history = app_client.ok("GET", "/api/charging/sessions?filter=this-month")
    assert history["total"] == 1 and history["sessions"][0]["status"] == "completed"
    assert history["sessions"][0]["costIsFinal"] is True
