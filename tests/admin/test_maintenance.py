"""Maintenance windows: planned in the console, started and ended by timer jobs. At the start, bookings not yet
charging are cancelled with a refund and their drivers notified, chargers get ChangeAvailability Inoperative,
drivers see the station in maintenance; at the end, Operative. Offline chargers get the command once back."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import release_db, wait_until
from webapp.extensions import db
from webapp.models import AuditLog, Charger, ChargerEvent, MaintenanceWindow, Notification
from webapp.services.fleet import maintenance
from webapp.services.platform import timers
from webapp.timeutil import utcnow

from .conftest import paid_booking

IST = ZoneInfo("Asia/Kolkata")

pytestmark = pytest.mark.both_dbs  # the figures are SQL: check them on PostgreSQL too


@pytest.fixture
def app_overrides():
    return {"OCPP_CALL_TIMEOUT": 3.0}


@pytest.fixture
def clock(monkeypatch):
    """clock(when): the maintenance service's "now" (jobs call it without arguments)."""
    def set_to(when):
        monkeypatch.setattr("webapp.services.fleet.maintenance.utcnow", lambda: when)
    return set_to


def local(dt: datetime) -> str:
    return dt.astimezone(IST).strftime("%Y-%m-%dT%H:%M")


def plan(client, target, start, end, reason="new cable"):
    return client.post("/admin/maintenance/new", data={"target": target, "starts_at": local(start),
                                                       "ends_at": local(end), "reason": reason})


def window_of(world):
    return db.session.execute(db.select(MaintenanceWindow).where(MaintenanceWindow.reason == "new cable")).scalar_one()


def test_plan_a_window_in_station_time_with_timer_jobs(operator_client, world):
    start = (utcnow() + timedelta(hours=2)).replace(second=0, microsecond=0)
    response = plan(operator_client, f"station:{world.station.id}", start, start + timedelta(hours=1))
    assert response.status_code == 302
    window = window_of(world)
    assert window.starts_at == start and window.ends_at == start + timedelta(hours=1)
    assert window.state == "scheduled" and window.created_by == world.operator.id
    due = [(at, func) for at, func, _ in timers.backend().pending() if func == "jobs.maintenance.tick"]
    assert (start, "jobs.maintenance.tick") in due and (start + timedelta(hours=1), "jobs.maintenance.tick") in due
    entry = db.session.execute(db.select(AuditLog).where(AuditLog.action == "maintenance.schedule")).scalar_one()
    assert entry.after["reason"] == "new cable" and entry.user_id == world.operator.id
    page = operator_client.get("/admin/maintenance").get_data(as_text=True)
    assert f'data-window="{window.id}"' in page and "new cable" in page
    assert local(start).replace("T", " ") + " IST" in page  # shown on the station's wall clock too


@pytest.mark.parametrize("offset_start, offset_end, message", [
    (2, 1, "must end after it starts"),
    (-3, -2, "already over"),
])
def test_plan_validation(operator_client, world, offset_start, offset_end, message):
    now = utcnow()
    response = plan(operator_client, f"station:{world.station.id}", now + timedelta(hours=offset_start),
                    now + timedelta(hours=offset_end))
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.execute(db.select(MaintenanceWindow).where(MaintenanceWindow.reason == "new cable")).first() is None


def test_plan_needs_a_target_and_times(operator_client, world):
    response = operator_client.post("/admin/maintenance/new", data={"target": "", "starts_at": "", "ends_at": ""})
    assert response.status_code == 422 and "Choose a station or a charger" in response.get_data(as_text=True)
    response = operator_client.post("/admin/maintenance/new", data={"target": f"charger:{world.charger.id}",
                                                                    "starts_at": "soon", "ends_at": ""})
    assert response.status_code == 422 and "Start: enter a date and time" in response.get_data(as_text=True)
    other = plan(operator_client, f"station:{world.other_station.id}", utcnow() + timedelta(hours=1),
                 utcnow() + timedelta(hours=2))
    assert other.status_code == 403


def test_start_cancels_bookings_with_refund_and_shows_maintenance_to_drivers(operator_client, world, factory,
                                                                              clock, run_jobs, client):
    confirmed = paid_booking(world.charger.connectors[1], factory.user(email="d1@example.com"), status="CONFIRMED")
    start = (utcnow() + timedelta(hours=1)).replace(second=0, microsecond=0)
    plan(operator_client, f"station:{world.station.id}", start, start + timedelta(hours=1))
    clock(start + timedelta(seconds=1))
    assert run_jobs(now=start + timedelta(seconds=1)) >= 1
    release_db()
    window = window_of(world)
    db.session.refresh(confirmed)
    station = db.session.get(type(world.station), world.station.id)
    assert window.state == "active" and station.status == "maintenance"
    assert confirmed.status == "CANCELLED" and confirmed.end_reason == "maintenance"
    assert [(p.kind, p.status) for p in confirmed.payments] == [("authorise", "succeeded"), ("void", "succeeded")]
    note = db.session.execute(db.select(Notification).where(Notification.user_id == confirmed.user_id,
                                                            Notification.kind == "booking_cancelled")).scalar_one()
    assert "new cable" in note.body
    assert db.session.get(Charger, world.charger.id).in_maintenance
    event = db.session.execute(db.select(ChargerEvent).where(ChargerEvent.kind == "maintenance")).scalar_one()
    assert event.detail.startswith("Inoperative not delivered")  # OWN-1 is not connected in this test
    page = client.get(f"/stations/{world.station.id}").get_data(as_text=True)
    assert "Maintenance" in page
    # the end job brings everything back
    clock(start + timedelta(hours=1, seconds=1))
    run_jobs(now=start + timedelta(hours=1, seconds=1))
    release_db()
    assert window_of(world).state == "done"
    assert db.session.get(type(world.station), world.station.id).status == "active"
    assert not db.session.get(Charger, world.charger.id).in_maintenance


def test_a_connected_charger_goes_inoperative_then_operative(operator_client, world, live_server, sim, clock,
                                                             run_jobs):
    charger = db.session.get(Charger, world.charger.id)
    charger.set_password("pw-maint-1")
    charger.online = False
    db.session.commit()
    device = sim.add("OWN-1", live_server.ws_url, password="pw-maint-1", connectors=2)
    assert device.connect() == "Accepted"
    device.wait_status(1, "Available")
    wait_until(lambda: db.session.get(Charger, world.charger.id).online, 5)
    start = (utcnow() + timedelta(hours=1)).replace(second=0, microsecond=0)
    plan(operator_client, f"charger:{world.charger.id}", start, start + timedelta(hours=2))
    clock(start)
    run_jobs(now=start)
    device.wait_status(1, "Unavailable")
    device.wait_status(2, "Unavailable")
    assert device.received_calls("ChangeAvailability")[-1] == {"connectorId": 0, "type": "Inoperative"}
    clock(start + timedelta(hours=2))
    run_jobs(now=start + timedelta(hours=2))
    device.wait_status(1, "Available")
    assert device.received_calls("ChangeAvailability")[-1] == {"connectorId": 0, "type": "Operative"}
    release_db()
    details = [e.detail for e in db.session.execute(db.select(ChargerEvent).where(ChargerEvent.kind == "maintenance")
                                                    .order_by(ChargerEvent.id)).scalars()]
    assert details == ["Inoperative accepted (maintenance)", "Operative accepted (maintenance)"]


def test_an_offline_charger_gets_the_command_when_it_is_back(operator_client, world, live_server, sim, clock,
                                                             run_jobs):
    charger = db.session.get(Charger, world.charger.id)
    charger.set_password("pw-maint-2")
    charger.online = False
    db.session.commit()
    start = (utcnow() + timedelta(hours=1)).replace(second=0, microsecond=0)
    plan(operator_client, f"charger:{world.charger.id}", start, start + timedelta(hours=2))
    clock(start)
    run_jobs(now=start)  # OWN-1 is offline: not delivered
    device = sim.add("OWN-1", live_server.ws_url, password="pw-maint-2", connectors=2)
    assert device.connect() == "Accepted"
    wait_until(lambda: db.session.get(Charger, world.charger.id).online, 5)
    release_db()
    assert maintenance.redeliver() == 1  # what the periodic tick does
    device.wait_status(1, "Unavailable")
    release_db()
    assert maintenance.redeliver() == 0  # delivered now: nothing left to resend


def test_cancel_a_scheduled_window_and_end_an_active_one_now(operator_client, world, clock, run_jobs):
    start = (utcnow() + timedelta(hours=1)).replace(second=0, microsecond=0)
    plan(operator_client, f"station:{world.station.id}", start, start + timedelta(hours=1))
    window = window_of(world)
    assert operator_client.post(f"/admin/maintenance/{window.id}/cancel").status_code == 302
    db.session.refresh(window)
    assert window.state == "cancelled"
    again = operator_client.post(f"/admin/maintenance/{window.id}/cancel", follow_redirects=True)
    assert "already cancelled" in again.get_data(as_text=True)
    clock(start)
    run_jobs(now=start)
    release_db()
    assert window_of(world).state == "cancelled"  # the start job found nothing to do
    active = MaintenanceWindow(station_id=world.station.id, starts_at=utcnow() - timedelta(minutes=5),
                               ends_at=utcnow() + timedelta(hours=1), reason="urgent")
    db.session.add(active)
    db.session.commit()
    maintenance.start(active.id)
    assert db.session.get(type(world.station), world.station.id).status == "maintenance"
    assert operator_client.post(f"/admin/maintenance/{active.id}/cancel").status_code == 302
    release_db()
    assert db.session.get(MaintenanceWindow, active.id).state == "cancelled"
    assert db.session.get(type(world.station), world.station.id).status == "active"
    actions = [e.action for e in db.session.execute(db.select(AuditLog)).scalars()]
    assert actions.count("maintenance.cancel") == 2


def test_overlapping_windows_keep_the_charger_in_maintenance(world):
    now = utcnow()
    station_window = MaintenanceWindow(station_id=world.station.id, starts_at=now - timedelta(minutes=5),
                                       ends_at=now + timedelta(hours=2))
    charger_window = MaintenanceWindow(charger_id=world.charger.id, starts_at=now - timedelta(minutes=5),
                                       ends_at=now + timedelta(hours=1))
    db.session.add_all([station_window, charger_window])
    db.session.commit()
    maintenance.start(station_window.id)
    maintenance.start(charger_window.id)
    assert not maintenance.start(charger_window.id)  # a second tick does nothing
    maintenance.finish(charger_window.id)
    assert db.session.get(Charger, world.charger.id).in_maintenance  # the station window still holds it
    maintenance.finish(station_window.id)
    assert not db.session.get(Charger, world.charger.id).in_maintenance


def test_tick_is_in_the_embedded_schedulers_periodic_jobs():
    assert ("jobs.maintenance.tick", "MAINTENANCE_TICK_SECONDS") in timers.PERIODIC
