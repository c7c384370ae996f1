"""Stations, chargers, connectors and tariffs: create, edit, retire, with validation; each action audited."""
import html

import pytest

from webapp.extensions import db
from webapp.models import AuditLog, Charger, Connector, Notification, Station, Tariff
from webapp.services.fleet import hours

from .conftest import paid_booking

GOOD = {"name": "Koramangala Hub", "address": "80 Ft Rd", "latitude": "12.9346", "longitude": "77.6113",
        "timezone": "Asia/Kolkata", "tariff_id": "", "solar_kw": "", **{f"hours_{d}": "" for d in hours.DAYS},
        "hours_mon": "08:00-12:00, 14:00-22:00", "hours_fri": "18:00-02:00", "hours_sun": "24h"}


def audit_actions():
    db.session.commit()
    return [a.action for a in db.session.execute(db.select(AuditLog).order_by(AuditLog.id)).scalars()]


def test_admin_creates_a_station_with_overnight_hours(admin_client, world):
    response = admin_client.post("/admin/stations/new", data={**GOOD, "tariff_id": str(world.station.tariff_id)})
    assert response.status_code == 302
    station = db.session.execute(db.select(Station).where(Station.name == "Koramangala Hub")).scalar_one()
    assert station.opening_hours == {"mon": [["08:00", "12:00"], ["14:00", "22:00"]], "fri": [["18:00", "02:00"]],
                                     "sun": [["00:00", "24:00"]]}
    assert station.status == "active" and station.tariff_id == world.station.tariff_id
    entry = db.session.execute(db.select(AuditLog).where(AuditLog.action == "station.create")).scalar_one()
    assert entry.after["name"] == "Koramangala Hub" and entry.before is None and entry.user_id == world.admin.id
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "18:00-02:00 (next day)" in page and "Station Koramangala Hub created" in page


@pytest.mark.parametrize("change, message, field", [
    ({"latitude": "91"}, "Latitude must be between -90 and 90", "latitude"),
    ({"longitude": "-180.5"}, "Longitude must be between -180 and 180", "longitude"),
    ({"latitude": "north"}, "Latitude must be a number", "latitude"),
    ({"latitude": "nan"}, "Latitude must be between", "latitude"),
    ({"timezone": "Mars/Olympus"}, "Unknown timezone", "timezone"),
    ({"timezone": "IST"}, "Unknown timezone", "timezone"),
    ({"hours_tue": "25:00-26:00"}, "Tue: '25:00-26:00' is not a range", None),
    ({"hours_wed": "09:00-09:00"}, "must not start and end at the same time", None),
    ({"name": ""}, "Name is required", "name"),
    ({"tariff_id": "999"}, "Choose an existing tariff", "tariff_id"),
    ({"solar_kw": "-3"}, "Solar capacity (kW) must be between 0 and 10000", "solar_kw"),
    ({**{f"hours_{d}": "" for d in hours.DAYS}}, "at least one day, or tick open 24/7", "hours"),
])
def test_station_validation(admin_client, world, change, message, field):
    response = admin_client.post("/admin/stations/new", data={**GOOD, **change})
    body = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422 and message in body
    if field:
        assert f'id="f-{field}"' in body or field == "hours"
    assert db.session.execute(db.select(db.func.count(Station.id))).scalar_one() == 2  # nothing written
    assert "station.create" not in audit_actions()


def test_always_open_needs_no_hours(admin_client, world):
    data = {**GOOD, **{f"hours_{d}": "" for d in hours.DAYS}, "always_open": "1"}
    assert admin_client.post("/admin/stations/new", data=data).status_code == 302
    station = db.session.execute(db.select(Station).where(Station.name == "Koramangala Hub")).scalar_one()
    assert station.always_open and station.opening_hours == {}


def test_operator_edits_own_station_and_the_change_is_audited(operator_client, world):
    page = operator_client.get(f"/admin/stations/{world.station.id}/edit").get_data(as_text=True)
    assert 'value="Own Station"' in page
    data = {**GOOD, "name": "Own Station Renamed", "tariff_id": str(world.station.tariff_id)}
    assert operator_client.post(f"/admin/stations/{world.station.id}/edit", data=data).status_code == 302
    db.session.refresh(world.station)
    assert world.station.name == "Own Station Renamed" and world.station.timezone == "Asia/Kolkata"
    entry = db.session.execute(db.select(AuditLog).where(AuditLog.action == "station.update")
                               .order_by(AuditLog.id.desc())).scalars().first()
    assert entry.before["name"] == "Own Station" and entry.after["name"] == "Own Station Renamed"
    assert entry.before["always_open"] is True and entry.after["always_open"] is False


def test_operator_may_not_create_or_retire_stations(operator_client, world):
    assert operator_client.get("/admin/stations/new").status_code == 403
    assert operator_client.post(f"/admin/stations/{world.station.id}/retire").status_code == 403


def test_retiring_a_station_cancels_and_refunds_bookings_not_started(admin_client, world, factory):
    booking = paid_booking(world.charger.connectors[1], factory.user(), status="CONFIRMED")
    response = admin_client.post(f"/admin/stations/{world.station.id}/retire")
    assert response.status_code == 302
    db.session.refresh(world.station)
    db.session.refresh(booking)
    assert world.station.status == "retired"
    assert booking.status == "CANCELLED" and any(p.kind == "void" and p.status == "succeeded" for p in booking.payments)
    assert db.session.execute(db.select(Notification).where(Notification.user_id == booking.user_id,
                                                            Notification.kind == "booking_cancelled")).scalar_one()
    assert "station.retire" in audit_actions()
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 booking(s) cancelled and refunded" in page
    assert admin_client.post(f"/admin/stations/{world.station.id}/reinstate").status_code == 302
    db.session.refresh(world.station)
    assert world.station.status == "active" and "station.reinstate" in audit_actions()


def test_a_station_with_a_car_charging_cannot_be_retired(admin_client, world, factory):
    booking = paid_booking(world.charger.connectors[1], factory.user(), status="CONFIRMED")
    booking.status = "CHARGING"
    db.session.commit()
    response = admin_client.post(f"/admin/stations/{world.station.id}/retire", follow_redirects=True)
    assert "session(s) in progress" in response.get_data(as_text=True)
    db.session.refresh(world.station)
    assert world.station.status == "active" and "station.retire" not in audit_actions()


def test_adding_a_charger_shows_its_url_and_password_once(operator_client, world):
    response = operator_client.post(f"/admin/stations/{world.station.id}/chargers/new",
                                    data={"cp_id": "OWN-2", "connectors": "3", "power_kw": "50", "plug": "CCS2",
                                          "supports_reservation": "1"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "ws://localhost/ocpp/OWN-2" in body
    password = body.split('id="cp-password">')[1].split("<")[0]
    charger = db.session.execute(db.select(Charger).where(Charger.charge_point_id == "OWN-2")).scalar_one()
    assert len(password) >= 20 and charger.check_password(password) and password not in (charger.password_hash or "")
    assert [(c.connector_id, c.plug_type, c.max_power_kw) for c in charger.connectors] == \
        [(1, "CCS2", 50.0), (2, "CCS2", 50.0), (3, "CCS2", 50.0)]
    detail = operator_client.get(f"/admin/chargers/{charger.id}").get_data(as_text=True)
    assert password not in detail  # shown once only
    entry = db.session.execute(db.select(AuditLog).where(AuditLog.action == "charger.create")).scalar_one()
    assert entry.after["charge_point_id"] == "OWN-2" and password not in str(entry.after)


def test_public_url_gives_a_wss_address(operator_client, world, app):
    app.config["PUBLIC_URL"] = "https://charge.example.com"
    body = operator_client.post(f"/admin/stations/{world.station.id}/chargers/new",
                                data={"cp_id": "OWN-3", "connectors": "1", "power_kw": "22", "plug": "Type2"}
                                ).get_data(as_text=True)
    assert "wss://charge.example.com/ocpp/OWN-3" in body


@pytest.mark.parametrize("data, message", [
    ({"cp_id": "bad id!", "connectors": "2", "power_kw": "22", "plug": "Type2"}, "Charge point id: 1-48 letters"),
    ({"cp_id": "FAR-1", "connectors": "2", "power_kw": "22", "plug": "Type2"}, "already exists"),
    ({"cp_id": "X-1", "connectors": "9", "power_kw": "22", "plug": "Type2"}, "Connectors must be between 1 and 8"),
    ({"cp_id": "X-1", "connectors": "1.5", "power_kw": "22", "plug": "Type2"}, "Connectors must be a whole number"),
    ({"cp_id": "X-1", "connectors": "2", "power_kw": "0", "plug": "Type2"}, "Power (kW) must be between 1 and 400"),
    ({"cp_id": "X-1", "connectors": "2", "power_kw": "22", "plug": "Schuko"}, "Plug type must be one of"),
])
def test_add_charger_validation(operator_client, world, data, message):
    response = operator_client.post(f"/admin/stations/{world.station.id}/chargers/new", data=data)
    assert response.status_code in (409, 422) and message in response.get_data(as_text=True)
    assert db.session.execute(db.select(db.func.count(Charger.id))).scalar_one() == 2


def test_operator_cannot_add_a_charger_to_another_station(operator_client, world):
    response = operator_client.post(f"/admin/stations/{world.other_station.id}/chargers/new",
                                    data={"cp_id": "SNEAKY", "connectors": "1", "power_kw": "22", "plug": "Type2"})
    assert response.status_code == 403
    assert db.session.execute(db.select(Charger).where(Charger.charge_point_id == "SNEAKY")).first() is None


def test_charger_edit_only_moves_to_your_own_stations(operator_client, world, factory):
    form = {"station_id": str(world.other_station.id), "heartbeat_interval": "60", "registration_status": "Accepted"}
    response = operator_client.post(f"/admin/chargers/{world.charger.id}/edit", data=form)
    assert response.status_code == 422 and "Choose one of your stations" in response.get_data(as_text=True)
    second = factory.station(name="Second Own")
    world.operator.stations = [world.station, second]
    db.session.commit()
    form = {"station_id": str(second.id), "heartbeat_interval": "120", "registration_status": "Pending"}
    assert operator_client.post(f"/admin/chargers/{world.charger.id}/edit", data=form).status_code == 302
    db.session.refresh(world.charger)
    assert (world.charger.station_id, world.charger.heartbeat_interval, world.charger.registration_status,
            world.charger.supports_reservation) == (second.id, 120, "Pending", False)
    entry = db.session.execute(db.select(AuditLog).where(AuditLog.action == "charger.update")).scalar_one()
    assert entry.before["station_id"] == world.station.id and entry.after["station_id"] == second.id
    bad = operator_client.post(f"/admin/chargers/{world.charger.id}/edit",
                               data={"station_id": str(second.id), "heartbeat_interval": "5",
                                     "registration_status": "Accepted"})
    assert bad.status_code == 422 and "between 10 and 86400" in bad.get_data(as_text=True)


def test_new_charger_password_replaces_the_old_one(operator_client, world):
    world.charger.set_password("old-password")
    db.session.commit()
    body = operator_client.post(f"/admin/chargers/{world.charger.id}/password").get_data(as_text=True)
    password = body.split('id="cp-password">')[1].split("<")[0]
    db.session.refresh(world.charger)
    assert world.charger.check_password(password) and not world.charger.check_password("old-password")
    assert "charger.password_reset" in audit_actions()


def test_retire_and_reinstate_a_charger(operator_client, world, factory):
    booking = paid_booking(world.charger.connectors[1], factory.user(), status="CONFIRMED")
    assert operator_client.post(f"/admin/chargers/{world.charger.id}/retire").status_code == 302
    db.session.refresh(world.charger)
    db.session.refresh(booking)
    assert world.charger.retired and booking.status == "CANCELLED"
    again = operator_client.post(f"/admin/chargers/{world.charger.id}/retire", follow_redirects=True)
    assert "already retired" in again.get_data(as_text=True)
    assert operator_client.post(f"/admin/chargers/{world.charger.id}/reinstate").status_code == 302
    db.session.refresh(world.charger)
    assert not world.charger.retired
    assert audit_actions().count("charger.retire") == 1 and "charger.reinstate" in audit_actions()


def test_connectors_add_edit_and_remove(operator_client, world):
    cid = world.charger.id
    assert operator_client.post(f"/admin/chargers/{cid}/connectors",
                                data={"plug_type": "CCS2", "max_power_kw": "60"}).status_code == 302
    new = db.session.execute(db.select(Connector).where(Connector.charger_id == cid, Connector.connector_id == 3)
                             ).scalar_one()
    assert (new.plug_type, new.max_power_kw) == ("CCS2", 60.0)
    assert operator_client.post(f"/admin/connectors/{new.id}", data={"plug_type": "Type2", "max_power_kw": "11"}
                                ).status_code == 302
    db.session.refresh(new)
    assert (new.plug_type, new.max_power_kw) == ("Type2", 11.0)
    bad = operator_client.post(f"/admin/connectors/{new.id}", data={"plug_type": "Type2", "max_power_kw": "999"},
                               follow_redirects=True)
    assert "Power (kW) must be between 1 and 400" in bad.get_data(as_text=True)
    used = operator_client.post(f"/admin/connectors/{world.connector.id}/remove", follow_redirects=True)
    assert "cannot be deleted" in used.get_data(as_text=True)
    assert operator_client.post(f"/admin/connectors/{new.id}/remove").status_code == 302
    assert db.session.get(Connector, new.id) is None
    assert {"connector.create", "connector.update", "connector.delete"} <= set(audit_actions())
    other = operator_client.post(f"/admin/connectors/{world.other_connector.id}",
                                 data={"plug_type": "Type2", "max_power_kw": "11"})
    assert other.status_code == 403


TARIFF = {"name": "Night saver", "currency": "inr", "price_per_kwh": "12.5", "price_per_minute": "",
          "session_fee": "10", "idle_fee_per_minute": "2.05"}


def test_tariffs_create_edit_retire(admin_client, world):
    assert admin_client.post("/admin/tariffs/new", data=TARIFF).status_code == 302
    tariff = db.session.execute(db.select(Tariff).where(Tariff.name == "Night saver")).scalar_one()
    assert (tariff.currency, tariff.price_per_kwh, tariff.price_per_minute, tariff.session_fee,
            tariff.idle_fee_per_minute) == ("INR", 1250, 0, 1000, 205)
    assert admin_client.post(f"/admin/tariffs/{tariff.id}/edit", data={**TARIFF, "price_per_kwh": "14"}
                             ).status_code == 302
    db.session.refresh(tariff)
    assert tariff.price_per_kwh == 1400
    page = admin_client.get("/admin/tariffs").get_data(as_text=True)
    assert "Night saver" in page and "₹14.00" in page
    assert admin_client.post(f"/admin/tariffs/{tariff.id}/retire").status_code == 302
    db.session.refresh(tariff)
    assert tariff.retired
    in_use = admin_client.post(f"/admin/tariffs/{world.station.tariff_id}/retire", follow_redirects=True)
    assert "is used by Own Station" in in_use.get_data(as_text=True)
    assert {"tariff.create", "tariff.update", "tariff.retire"} <= set(audit_actions())
    # a retired tariff is no longer offered for a new station
    response = admin_client.post("/admin/stations/new", data={**GOOD, "tariff_id": str(tariff.id)})
    assert response.status_code == 422 and "That tariff is retired" in response.get_data(as_text=True)


@pytest.mark.parametrize("change, message", [
    ({"price_per_kwh": "-1"}, "Price per kWh must be an amount"),
    ({"price_per_kwh": ""}, "Price per kWh is required"),
    ({"session_fee": "1.234"}, "Session fee must be an amount"),
    ({"currency": "RUPEES"}, "3-letter ISO code"),
    ({"name": " "}, "Name is required"),
])
def test_tariff_validation(admin_client, world, change, message):
    response = admin_client.post("/admin/tariffs/new", data={**TARIFF, **change})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.execute(db.select(db.func.count(Tariff.id))).scalar_one() == 2


def test_station_list_search_and_scope(operator_client, admin_client, world):
    page = operator_client.get("/admin/stations").get_data(as_text=True)
    assert "Own Station" in page and "Far Station" not in page
    page = admin_client.get("/admin/stations?q=far").get_data(as_text=True)
    assert "Far Station" in page and "Own Station" not in page


def test_a_connectors_wiring_is_set_on_the_charger_page_and_refused_when_wrong(operator_client, world):
    """Phases and volts per phase: what a smart-charging limit in amperes is worked out with."""
    connector = world.connector
    page = operator_client.get(f"/admin/chargers/{world.charger.id}").get_data(as_text=True)
    assert f'aria-label="Phases of #{connector.connector_id}"' in page
    assert operator_client.post(f"/admin/connectors/{connector.id}", data={
        "plug_type": connector.plug_type, "max_power_kw": "7.4", "phases": "1", "voltage": "240"}).status_code == 302
    db.session.refresh(connector)
    assert (connector.max_power_kw, connector.phases, connector.voltage) == (7.4, 1, 240.0)
    for data, message in (({"phases": "2"}, "Phases must be 1 or 3."),
                          ({"voltage": "50"}, "Volts per phase must be between 100 and 480")):
        bad = operator_client.post(f"/admin/connectors/{connector.id}", follow_redirects=True, data={
            "plug_type": connector.plug_type, "max_power_kw": "11", **data})
        assert message in bad.get_data(as_text=True)
    db.session.refresh(connector)
    assert (connector.max_power_kw, connector.phases, connector.voltage) == (7.4, 1, 240.0)  # nothing half-written
