"""The console's fleet forms (stations, chargers, connectors, tariffs, maintenance, commands): a bad input is
answered next to its field with what was typed kept, and writes nothing; a good one saves typed values."""
import html
import re
from datetime import timedelta

from webapp.extensions import db
from webapp.models import Charger, MaintenanceWindow, Station, Tariff
from webapp.timeutil import utcnow

from .test_maintenance import local
from .test_stations import GOOD, TARIFF


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def error_of(body: str, field: str) -> str:
    """The message rendered next to a field (the macro's `f-<name>-error`), '' when there is none."""
    found = re.search(rf'<small class="field-error" id="f-{field}-error"[^>]*>([^<]*)</small>', body)
    return found.group(1) if found else ""


def count(model) -> int:
    return db.session.execute(db.select(db.func.count()).select_from(model)).scalar_one()


def test_a_bad_coordinate_is_answered_next_to_it_and_the_typed_text_stays(admin_client, world):
    response = admin_client.post("/admin/stations/new", data={**GOOD, "latitude": "north", "name": "Typed Name"})
    body = page(response)
    assert response.status_code == 422
    assert error_of(body, "latitude") == "Latitude must be a number."
    assert re.search(r'id="f-latitude"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="f-latitude"', body)
    assert 'value="north"' in body and 'value="Typed Name"' in body and 'value="18:00-02:00"' in body
    assert not error_of(body, "longitude") and count(Station) == 2


def test_a_bad_day_of_hours_is_answered_on_that_day(admin_client, world):
    body = page(admin_client.post("/admin/stations/new", data={**GOOD, "hours_tue": "25:00-26:00"}))
    assert error_of(body, "hours_tue") == "Tue: '25:00-26:00' is not a range like 08:00-22:00"
    assert not error_of(body, "hours_mon") and count(Station) == 2


def test_the_services_refusal_lands_on_its_field(admin_client, world):
    body = page(admin_client.post("/admin/stations/new", data={**GOOD, "timezone": "Mars/Olympus"}))
    assert error_of(body, "timezone").startswith("Unknown timezone 'Mars/Olympus'")
    body = page(admin_client.post("/admin/stations/new", data={**GOOD, "tariff_id": "abc"}))
    assert error_of(body, "tariff_id") == "Choose an existing tariff."


def test_a_station_is_saved_with_typed_values(admin_client, world):
    data = {**GOOD, "latitude": " 12.5 ", "solar_kw": "7.5", "tariff_id": str(world.station.tariff_id)}
    assert admin_client.post("/admin/stations/new", data=data).status_code == 302
    station = db.session.execute(db.select(Station).where(Station.name == "Koramangala Hub")).scalar_one()
    assert (station.latitude, station.solar_kw, station.tariff_id) == (12.5, 7.5, world.station.tariff_id)


def test_the_edit_form_shows_the_stations_values(admin_client, world):
    body = page(admin_client.get(f"/admin/stations/{world.station.id}/edit"))
    assert 'value="Own Station"' in body and 'value="Asia/Kolkata"' in body and "checked" in body


def test_a_bad_amount_is_answered_next_to_it(admin_client, world):
    response = admin_client.post("/admin/tariffs/new", data={**TARIFF, "session_fee": "1.234", "name": "Kept"})
    body = page(response)
    assert response.status_code == 422 and "ambiguous" in error_of(body, "session_fee")
    assert 'value="1.234"' in body and 'value="Kept"' in body and count(Tariff) == 2


def test_the_tariff_edit_form_shows_major_units(admin_client, world):
    body = page(admin_client.get(f"/admin/tariffs/{world.station.tariff_id}/edit"))
    tariff = db.session.get(Tariff, world.station.tariff_id)
    assert f'value="{tariff.price_per_kwh // 100}.{tariff.price_per_kwh % 100:02d}"' in body


def test_a_taken_charge_point_id_is_answered_next_to_it(operator_client, world):
    response = operator_client.post(f"/admin/stations/{world.station.id}/chargers/new",
                                    data={"cp_id": "FAR-1", "connectors": "2", "power_kw": "22", "plug": "Type2"})
    body = page(response)
    assert response.status_code == 409 and error_of(body, "cp_id") == "A charger with id FAR-1 already exists."
    assert 'value="FAR-1"' in body and count(Charger) == 2
    body = page(operator_client.post(f"/admin/stations/{world.station.id}/chargers/new",
                                     data={"cp_id": "X-1", "connectors": "", "power_kw": "22", "plug": "Type2"}))
    assert error_of(body, "connectors") == "Connectors is required." and count(Charger) == 2


def test_charger_edit_refusals_are_next_to_their_fields(operator_client, world):
    response = operator_client.post(f"/admin/chargers/{world.charger.id}/edit",
                                    data={"station_id": str(world.other_station.id), "heartbeat_interval": "abc",
                                          "registration_status": "Maybe"})
    body = page(response)
    assert response.status_code == 422
    assert error_of(body, "station_id") == "Choose one of your stations."
    assert error_of(body, "heartbeat_interval") == "Heartbeat interval (seconds) must be a number."
    assert error_of(body, "registration_status") == "Registration must be Accepted, Pending or Rejected."
    db.session.refresh(world.charger)
    assert world.charger.station_id == world.station.id


def test_a_refused_password_is_explained_and_never_shown_back(operator_client, world):
    body = page(operator_client.post(f"/admin/chargers/{world.charger.id}/password/set",
                                     data={"password": "short-secret"}))
    assert "16 to 20 characters" in error_of(body, "password") and "short-secret" not in body


def test_a_connector_with_a_bad_power_is_refused(operator_client, world):
    response = operator_client.post(f"/admin/chargers/{world.charger.id}/connectors",
                                    data={"plug_type": "CCS2", "max_power_kw": "lots"}, follow_redirects=True)
    assert "Power (kW) must be a number." in page(response)
    assert len(db.session.get(Charger, world.charger.id).connectors) == 2


def test_a_maintenance_time_is_answered_next_to_it(operator_client, world):
    target = f"charger:{world.charger.id}"
    response = operator_client.post("/admin/maintenance/new", data={
        "target": target, "starts_at": "soon", "ends_at": local(utcnow() + timedelta(hours=3)), "reason": "kept"})
    body = page(response)
    assert response.status_code == 422 and error_of(body, "starts_at") == "Start: enter a date and time."
    assert f'value="{target}" selected' in body and 'value="kept"' in body and 'value="soon"' in body
    start = utcnow() + timedelta(hours=2)
    body = page(operator_client.post("/admin/maintenance/new", data={
        "target": target, "starts_at": local(start), "ends_at": local(start - timedelta(hours=1))}))
    assert error_of(body, "ends_at") == "The window must end after it starts."
    assert count(MaintenanceWindow) == 2


def test_a_command_with_an_unreadable_number_is_refused_before_sending(operator_client, world):
    response = operator_client.post(f"/admin/chargers/{world.charger.id}/commands",
                                    data={"command": "remote_stop", "transaction_id": "abc"})
    assert response.status_code == 422 and "Transaction id must be a number." in page(response)


def test_a_tariff_prices_the_charging_modes_or_leaves_them_at_the_fast_price(admin_client, world):
    response = admin_client.post("/admin/tariffs/new", data={**TARIFF, "name": "Modes", "price_per_kwh_solar": "10",
                                                            "price_per_kwh_standard": ""})
    assert response.status_code in (302, 303), page(response)[:500]
    tariff = db.session.query(Tariff).filter_by(name="Modes").one()
    assert (tariff.price_per_kwh_solar, tariff.price_per_kwh_standard) == (1000, None)
    body = page(admin_client.post("/admin/tariffs/new", data={**TARIFF, "name": "Bad", "price_per_kwh_solar": "-1"}))
    assert error_of(body, "price_per_kwh_solar")


def test_a_tariff_sets_the_slot_policy_with_its_refusals_next_to_the_fields(admin_client, world):
    data = {**TARIFF, "name": "Slots", "slot_free_cancel_minutes": "90", "slot_payment": "deposit",
            "slot_deposit": "150"}
    response = admin_client.post("/admin/tariffs/new", data=data)
    assert response.status_code in (302, 303), page(response)[:500]
    tariff = db.session.query(Tariff).filter_by(name="Slots").one()
    assert (tariff.slot_free_cancel_minutes, tariff.slot_payment, tariff.slot_deposit) == (90, "deposit", 15000)
    edit = page(admin_client.get(f"/admin/tariffs/{tariff.id}/edit"))
    assert 'value="90"' in edit and 'value="150.00"' in edit
    body = page(admin_client.post("/admin/tariffs/new", data={**data, "name": "No deposit", "slot_deposit": ""}))
    assert "Give the deposit a slot pre-authorises." in error_of(body, "slot_deposit")
    body = page(admin_client.post("/admin/tariffs/new", data={**data, "name": "Bad", "slot_free_cancel_minutes": "-5"}))
    assert "must be between 0 and 10080" in error_of(body, "slot_free_cancel_minutes")
    body = page(admin_client.post("/admin/tariffs/new", data={**data, "name": "Bad", "slot_payment": "gold"}))
    assert "Choose the quota's price or a deposit." in error_of(body, "slot_payment")
    assert db.session.query(Tariff).filter(Tariff.name.in_(("No deposit", "Bad"))).count() == 0
