"""Users (admins only): search, change role, assign stations, suspend and reactivate, a user's history."""
from webapp.extensions import db
from webapp.models import AuditLog, User

from .conftest import paid_booking


def entries(action):
    db.session.commit()
    return db.session.execute(db.select(AuditLog).where(AuditLog.action == action)).scalars().all()


def test_search_by_email_name_idtag_role_and_state(admin_client, world):
    page = admin_client.get("/admin/users?q=dora").get_data(as_text=True)
    assert f'data-user="{world.driver.id}"' in page and f'data-user="{world.other_driver.id}"' not in page
    page = admin_client.get(f"/admin/users?q={world.other_driver.id_tag}").get_data(as_text=True)
    assert page.count('data-user="') == 1 and "driver2@example.com" in page
    page = admin_client.get("/admin/users?role=operator").get_data(as_text=True)
    assert page.count('data-user="') == 2
    world.driver.active = False
    db.session.commit()
    page = admin_client.get("/admin/users?state=suspended").get_data(as_text=True)
    assert page.count('data-user="') == 1 and f'data-user="{world.driver.id}"' in page


def test_user_page_shows_bookings_sessions_and_payments(admin_client, world):
    page = admin_client.get(f"/admin/users/{world.driver.id}").get_data(as_text=True)
    assert f"/admin/bookings/{world.booking.id}" in page and f"/admin/sessions/{world.session.id}" in page
    assert f'data-payment="{world.capture.id}"' in page and f"/admin/bookings/{world.other_booking.id}" not in page


def test_change_role_and_assign_stations(admin_client, world):
    response = admin_client.post(f"/admin/users/{world.driver.id}/role", data={"role": "operator"},
                                 follow_redirects=True)
    assert "is now an operator" in response.get_data(as_text=True)
    response = admin_client.post(f"/admin/users/{world.driver.id}/stations",
                                 data={"station_ids": [str(world.station.id), str(world.other_station.id)]})
    assert response.status_code == 302
    user = db.session.get(User, world.driver.id)
    assert user.role == "operator" and sorted(s.id for s in user.stations) == sorted([world.station.id,
                                                                                      world.other_station.id])
    [role] = entries("user.role")
    assert role.before["role"] == "driver" and role.after["role"] == "operator"
    [assign] = entries("user.stations")
    assert assign.before["station_ids"] == [] and len(assign.after["station_ids"]) == 2
    # back to driver: the assignments go
    admin_client.post(f"/admin/users/{world.driver.id}/role", data={"role": "driver"})
    assert db.session.get(User, world.driver.id).stations == []


def test_role_and_station_rules(admin_client, world):
    bad = admin_client.post(f"/admin/users/{world.driver.id}/role", data={"role": "overlord"}, follow_redirects=True)
    assert "Role must be one of driver, operator, admin" in bad.get_data(as_text=True)
    me = admin_client.post(f"/admin/users/{world.admin.id}/role", data={"role": "driver"}, follow_redirects=True)
    assert "cannot change your own role" in me.get_data(as_text=True)
    driver = admin_client.post(f"/admin/users/{world.driver.id}/stations", data={"station_ids": [str(world.station.id)]},
                               follow_redirects=True)
    assert "Only operators are assigned stations" in driver.get_data(as_text=True)
    ghost = admin_client.post(f"/admin/users/{world.operator.id}/stations", data={"station_ids": ["999"]},
                              follow_redirects=True)
    assert "does not exist" in ghost.get_data(as_text=True)
    assert [s.id for s in db.session.get(User, world.operator.id).stations] == [world.station.id]
    assert entries("user.role") == [] and entries("user.stations") == []


def test_suspend_logs_out_cancels_bookings_and_blocks_login(admin_client, world, factory, as_user, client):
    booking = paid_booking(world.charger.connectors[1], world.other_driver, status="CONFIRMED")
    victim = as_user(world.other_driver)
    assert victim.get("/history").status_code == 200
    response = admin_client.post(f"/admin/users/{world.other_driver.id}/suspend", follow_redirects=True)
    assert "is suspended" in response.get_data(as_text=True)
    db.session.refresh(booking)
    assert booking.status == "CANCELLED" and booking.end_reason == "account suspended"
    assert not db.session.get(User, world.other_driver.id).active
    # their open session is over, and they cannot log in again
    assert victim.get("/history").status_code == 302
    login = client.post("/login", data={"email": "driver2@example.com", "password": "charge-test-pass"})
    assert login.status_code == 403 and "suspended" in login.get_data(as_text=True)
    [entry] = entries("user.suspend")
    assert entry.before["active"] is True and entry.after["active"] is False
    again = admin_client.post(f"/admin/users/{world.other_driver.id}/suspend", follow_redirects=True)
    assert "already suspended" in again.get_data(as_text=True)
    assert admin_client.post(f"/admin/users/{world.other_driver.id}/reactivate").status_code == 302
    assert db.session.get(User, world.other_driver.id).active
    assert client.post("/login", data={"email": "driver2@example.com", "password": "charge-test-pass"}).status_code == 302
    assert len(entries("user.reactivate")) == 1


def test_cannot_suspend_yourself(admin_client, world):
    response = admin_client.post(f"/admin/users/{world.admin.id}/suspend", follow_redirects=True)
    assert "cannot suspend yourself" in response.get_data(as_text=True)
    assert db.session.get(User, world.admin.id).active


def test_users_export_is_admin_only_csv(admin_client, operator_client, world):
    response = admin_client.get("/admin/exports/users.csv?role=operator")
    lines = response.get_data(as_text=True).splitlines()
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert lines[0].startswith("user_id,email,name,role,active") and len(lines) == 3
    assert any("op@example.com" in line and "Own Station" in line for line in lines)
    assert operator_client.get("/admin/exports/users.csv").status_code == 403
