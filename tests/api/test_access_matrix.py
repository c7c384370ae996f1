"""Every Bearer operation of the OpenAPI document x every signed-in role x another driver's objects.

Drivers act only on their own bookings; staff act on drivers' bookings only through the console (scoped,
audited, notified), never through the API. The operations are read from /api/openapi.json, and every one
must be classified below, so a new endpoint fails this test until someone decides how it is reached.
"""
from datetime import timedelta

import pytest

from webapp.extensions import db
from webapp.models import AppSessionReport, AuditLog, Booking, ChargingSession, Notification, Payment
from webapp.services.booking import bookings, checkout
from webapp.timeutil import utcnow

from .conftest import assert_error

ROLES = ("driver", "operator_of_station", "operator_elsewhere", "admin")


def _held(world):
    return world.held


def _charging(world):
    return world.charging


def _completed(world):
    return world.completed


ALL = (_held, _charging, _completed)

#: Operations that name a booking or transaction: (method, path) -> (which foreign objects, request builder).
#: The builder gets the world and one foreign booking and returns (path, json body, extra headers).
FOREIGN = {
    ("GET", "/api/bookings/{booking_id}"): (ALL, lambda w, b: (f"/api/bookings/{b.id}", None, {})),
    ("DELETE", "/api/bookings/{booking_id}"): (ALL, lambda w, b: (f"/api/bookings/{b.id}", None, {})),
    ("GET", "/api/bookings/{booking_id}/quote"): (ALL, lambda w, b: (f"/api/bookings/{b.id}/quote?quota_kwh=5",
                                                                      None, {})),
    ("GET", "/api/bookings/{booking_id}/receipt"): (ALL, lambda w, b: (f"/api/bookings/{b.id}/receipt", None, {})),
    ("POST", "/api/bookings/{booking_id}/rating"): (ALL, lambda w, b: (f"/api/bookings/{b.id}/rating",
                                                                        {"stars": 1}, {})),
    ("POST", "/api/bookings/{booking_id}/changes"): (ALL, lambda w, b: (f"/api/bookings/{b.id}/changes",
                                                                         {"quota_kwh": 20}, {})),
    ("POST", "/api/bookings/{booking_id}/changes/preview"): (ALL, lambda w, b: (
        f"/api/bookings/{b.id}/changes/preview", {"quota_kwh": 20}, {})),
    ("POST", "/api/payments/process"): (ALL, lambda w, b: ("/api/payments/process", {
        "booking_id": b.id, "quota_kwh": 5, "payment_method": "card", "payment_details": "4242424242424242"},
        {"Idempotency-Key": f"matrix-{b.id}-{w.n()}"})),
    ("POST", "/api/charging/start"): (ALL, lambda w, b: ("/api/charging/start", {
        "charger_id": b.connector.charger.charge_point_id, "connector_id": b.connector.connector_id,
        "booking_id": b.id}, {})),
    ("POST", "/api/charging/stop"): ((_charging, _completed), lambda w, b: ("/api/charging/stop", {
        "transaction_id": b.session.id}, {})),
    ("POST", "/api/charging/sessions/start"): (ALL, lambda w, b: ("/api/charging/sessions/start", {
        "batteryLevelStart": 20, "bookingId": b.id}, {})),
    ("POST", "/api/charging/sessions/end"): (ALL, lambda w, b: ("/api/charging/sessions/end", {
        "sessionId": b.id, "batteryLevelEnd": 80, "stationRating": 1}, {})),
}

#: Operations that name no one else's object: they act on the caller's own account (or, for a charger's
#: status and a new hold, on public things). Checked to answer without any of the victims' ids.
OWN = {
    ("POST", "/api/auth/revoke"), ("GET", "/api/me"), ("POST", "/api/bookings"), ("GET", "/api/bookings/live"),
    ("GET", "/api/charging/sessions"), ("GET", "/api/charging/sessions/active"),
    ("PUT", "/api/charging/sessions/active/update"), ("GET", "/api/charging/stats"),
    ("GET", "/api/charging/dashboard"), ("GET", "/api/chargers/{charger_id}/status"),
    ("GET", "/api/balance"), ("POST", "/api/balance/pay"),
}
OWN_REQUESTS = {
    ("POST", "/api/bookings"): lambda w: ("/api/bookings", {"charger_id": "CP-FREE", "connector_id": 1}),
    ("PUT", "/api/charging/sessions/active/update"): lambda w: ("/api/charging/sessions/active/update",
                                                                {"batteryLevel": 50}),
    ("GET", "/api/chargers/{charger_id}/status"): lambda w: ("/api/chargers/CP-X/status", None),
    ("POST", "/api/balance/pay"): lambda w: ("/api/balance/pay", {"payment_method": "card",
                                                                  "payment_details": "4242424242424242"}),
}
ID_KEYS = {"id", "booking_id", "bookingId", "transaction_id", "transactionId", "userId", "sessionId"}


def _bearer_operations(client) -> list[tuple[str, str]]:
    document = client.get("/api/openapi.json").get_json()
    return sorted((method.upper(), path) for path, methods in document["paths"].items()
                  for method, op in methods.items()
                  if op["security"] and next(iter(op["security"][0]), None) == "bearerAuth")


class World:
    def __init__(self, factory):
        self._n = 0
        self.station = factory.station(name="Station X")
        self.elsewhere = factory.station(name="Station Y")
        self.charger = factory.charger(station=self.station, cp_id="CP-X", connectors=3, supports_reservation=False)
        factory.charger(station=self.elsewhere, cp_id="CP-FREE", supports_reservation=False)
        held_by, charging_by, completed_by = (factory.user(email=f"victim{i}@example.com") for i in range(3))
        self.victims = (held_by, charging_by, completed_by)
        c1, c2, c3 = self.charger.connectors
        self.held = bookings.place_hold(held_by, c1.id)
        self.charging = self._paid(charging_by, c2.id, "CHARGING")
        self.completed = self._paid(completed_by, c3.id, "COMPLETED")
        self.users = {"driver": factory.user(email="other-driver@example.com"),
                      "operator_of_station": factory.user("operator", email="op-x@example.com"),
                      "operator_elsewhere": factory.user("operator", email="op-y@example.com"),
                      "admin": factory.user("admin", email="admin@example.com")}
        self.users["operator_of_station"].stations = [self.station]
        self.users["operator_elsewhere"].stations = [self.elsewhere]
        db.session.commit()

    def n(self) -> int:
        self._n += 1
        return self._n

    def _paid(self, user, connector_id, status):
        booking = bookings.place_hold(user, connector_id)
        checkout.pay(user, booking.id, 5, "card", "4242424242424242", f"world-{booking.id}")
        now = utcnow()
        session = ChargingSession(connector_id=connector_id, user_id=user.id, booking_id=booking.id,
                                  id_tag=user.id_tag, meter_start=0, started_at=now - timedelta(minutes=20))
        booking.status, booking.started_at = status, now - timedelta(minutes=20)
        if status == "COMPLETED":
            session.stopped_at, session.meter_stop, session.energy_wh = now - timedelta(minutes=5), 4000, 4000
            booking.stopped_at = booking.ended_at = now - timedelta(minutes=5)
        db.session.add(session)
        db.session.commit()
        return booking

    def state(self) -> dict:
        """Everything an action on a victim's booking could change."""
        victim_ids = [u.id for u in self.victims]
        db.session.expire_all()
        rows = db.session.execute(db.select(Booking).where(Booking.user_id.in_(victim_ids))).scalars()
        return {
            "bookings": sorted((b.id, b.status, b.end_reason, b.amount_authorised, b.amount_captured,
                                b.amount_refunded, b.rating, b.start_requested_at) for b in rows),
            "sessions": sorted((s.id, s.stopped_at, s.remote_stop_sent, s.rating) for s in db.session.execute(
                db.select(ChargingSession).where(ChargingSession.user_id.in_(victim_ids))).scalars()),
            "payments": db.session.scalar(db.select(db.func.count(Payment.id))),
            "reports": db.session.scalar(db.select(db.func.count(AppSessionReport.id))),
            "notifications": db.session.scalar(db.select(db.func.count(Notification.id))
                                               .where(Notification.user_id.in_(victim_ids))),
            # entries about the victims and their bookings (the callers' own actions are audited too)
            "audit": db.session.scalar(db.select(db.func.count(AuditLog.id)).where(db.or_(
                db.and_(AuditLog.target_type == "booking", AuditLog.target_id.in_(
                    [str(i) for i in db.session.scalars(db.select(Booking.id).where(
                        Booking.user_id.in_(victim_ids)))])),
                db.and_(AuditLog.target_type == "user", AuditLog.target_id.in_([str(i) for i in victim_ids]))))),
        }

    def foreign_ids(self) -> set[int]:
        return ({b.id for b in (self.held, self.charging, self.completed)}
                | {u.id for u in self.victims} | {self.charging.session.id, self.completed.session.id})


def _ids_in(value) -> set[int]:
    """Every integer under an id-like key anywhere in a JSON document."""
    found = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ID_KEYS and isinstance(item, int):
                found.add(item)
            found |= _ids_in(item)
    elif isinstance(value, list):
        for item in value:
            found |= _ids_in(item)
    return found


@pytest.fixture
def world(factory):
    return World(factory)


def test_every_bearer_operation_is_classified(client):
    operations = set(_bearer_operations(client))
    assert operations == set(FOREIGN) | OWN, {
        "unclassified": sorted(operations - set(FOREIGN) - OWN),
        "gone": sorted((set(FOREIGN) | OWN) - operations)}
    assert not set(FOREIGN) & OWN


def test_no_role_acts_on_another_drivers_booking_through_the_api(client, world, bearer):
    """Every role (another driver, the station's operator, another station's operator, an admin) gets 404 for
    every foreign booking or transaction in every operation that names one, and nothing changes."""
    before = world.state()
    tried, wrong = 0, []
    for role in ROLES:
        headers = bearer(world.users[role])
        for (method, template), (which, build) in sorted(FOREIGN.items()):
            for pick in which:
                path, body, extra = build(world, pick(world))
                response = client.open(path, method=method, json=body, headers={**headers, **extra})
                tried += 1
                if response.status_code != 404:
                    wrong.append(f"{role} {method} {path} ({pick.__name__[1:]}): {response.status_code} "
                                 f"{response.get_data(as_text=True)[:160]}")
                else:
                    assert_error(response, 404)
    print(f"API access matrix: {tried} foreign-object requests over {len(FOREIGN)} operations x {len(ROLES)} roles")
    assert not wrong, "\n".join(wrong)
    assert tried == len(ROLES) * sum(len(which) for which, _ in FOREIGN.values()) == 140
    assert world.state() == before


def test_operations_on_the_callers_own_account_show_no_one_elses_objects(client, world, bearer):
    """The operations that name no object answer for the caller alone: none of the victims' ids appear."""
    before = world.state()
    tried, leaked = 0, []
    for role in ROLES:
        for method, template in sorted(OWN):
            headers = bearer(world.users[role])  # fresh: one of these operations revokes the token
            path, body = OWN_REQUESTS.get((method, template), lambda w: (template, None))(world)
            response = client.open(path, method=method, json=body, headers=headers)
            tried += 1
            assert response.status_code < 500, (role, method, path, response.status_code)
            shown = _ids_in(response.get_json(silent=True)) & world.foreign_ids()
            if shown:
                leaked.append(f"{role} {method} {path}: {sorted(shown)}")
        for booking in db.session.execute(db.select(Booking).where(
                Booking.user_id == world.users[role].id, Booking.status == "HELD")).scalars():
            bookings.cancel(world.users[role], booking.id)  # the next role's hold needs the connector
    print(f"API own-account operations: {tried} requests over {len(OWN)} operations x {len(ROLES)} roles")
    assert tried == len(OWN) * len(ROLES)
    assert not leaked, "\n".join(leaked)
    assert world.state() == before
