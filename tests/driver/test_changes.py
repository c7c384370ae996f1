"""Changes while charging (issue 15 point 5) through the API: a raised quota tops up the authorisation and
moves the quota stop, a lowered one stops earlier, a switch of mode re-plans the station; bad changes and
other drivers' bookings are refused with nothing changed."""
import pytest
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import AuditLog, Booking, Payment
from webapp.services.accounts import tokens
from webapp.services.booking import modes

from .conftest import replans
from .flow import meter
from .pages import text


@pytest.fixture
def api(driver):
    _, access, _ = tokens.issue_for(driver)
    return {"Authorization": f"Bearer {access}"}


def change(client, headers, booking_id, preview=False, **body):
    return client.post(f"/api/bookings/{booking_id}/changes{'/preview' if preview else ''}", headers=headers,
                       json=body)


def booking(booking_id) -> Booking:
    db.session.expire_all()
    return db.session.get(Booking, booking_id)


def test_preview_shows_the_new_finish_price_and_top_up_and_changes_nothing(client, charging, api, clock):
    booking_id, tx = charging
    clock.advance(minutes=5)
    meter(tx, 1_004_000, 22000)  # 4 kWh delivered of 10
    body = change(client, api, booking_id, preview=True, quota_kwh=20).get_json()
    # 20 kWh + 2 kWh headroom at ₹18 + ₹20 fee = ₹416; ₹218 is authorised; 16 kWh left at 22 kW
    assert body == {"charging_mode": "fast", "quota_kwh": 20.0, "solar_floor_kw": None, "price_per_kwh": 1800,
                    "expected_power_kw": 22.0, "finish_minutes": 44, "authorisation_needed": 41600,
                    "top_up": 41600 - 21800, "currency": "INR"}
    b = booking(booking_id)
    assert (b.quota_kwh, b.amount_authorised) == (10, 21800)
    assert not db.session.execute(select(Payment).where(Payment.kind == "increment")).first()


@pytest.mark.both_dbs
def test_a_raised_quota_tops_up_the_authorisation_and_moves_the_stop(client, charging, api, link, run_jobs, clock):
    booking_id, tx = charging
    clock.advance(minutes=5)
    meter(tx, 1_004_000, 22000)
    response = change(client, api, booking_id, quota_kwh=20)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["quota_kwh"] == 20 and response.get_json()["amount_authorised"] == 41600
    [increment] = db.session.execute(select(Payment).where(Payment.kind == "increment")).scalars().all()
    assert (increment.status, increment.amount) == ("succeeded", 41600 - 21800)
    clock.advance(minutes=5)
    meter(tx, 1_010_500, 22000)  # past the old quota: charging goes on
    run_jobs()
    assert "RemoteStopTransaction" not in link.actions()
    clock.advance(minutes=5)
    meter(tx, 1_020_000, 22000)  # the new quota: the stop
    run_jobs()
    assert ("CP-TEST-1", "RemoteStopTransaction", {"transactionId": tx}) in link.calls
    entry = db.session.execute(select(AuditLog).where(AuditLog.action == "booking.change")).scalar_one()
    assert (entry.before["quota_kwh"], entry.after["quota_kwh"]) == (10, 20)


def test_a_lowered_quota_stops_earlier_without_a_new_authorisation(client, charging, api, link, run_jobs, clock):
    booking_id, tx = charging
    clock.advance(minutes=5)
    meter(tx, 1_003_000, 22000)
    assert change(client, api, booking_id, quota_kwh=5).status_code == 200
    assert booking(booking_id).amount_authorised == 21800  # what is not used is released at the end
    clock.advance(minutes=5)
    meter(tx, 1_004_500, 22000)
    run_jobs()
    assert "RemoteStopTransaction" not in link.actions()
    clock.advance(minutes=5)
    meter(tx, 1_005_000, 22000)
    run_jobs()
    assert ("CP-TEST-1", "RemoteStopTransaction", {"transactionId": tx}) in link.calls


def test_a_quota_lowered_below_what_is_delivered_stops_at_once(client, charging, api, link, run_jobs, clock):
    booking_id, tx = charging
    clock.advance(minutes=5)
    meter(tx, 1_006_000, 22000)
    assert change(client, api, booking_id, quota_kwh=5).status_code == 200
    run_jobs()
    assert ("CP-TEST-1", "RemoteStopTransaction", {"transactionId": tx}) in link.calls
    assert booking(booking_id).end_reason == "quota reached"


def test_switching_mode_at_a_smart_charger_replans_the_station(client, charging, api, smart, link, run_jobs):
    booking_id, tx = charging
    response = change(client, api, booking_id, charging_mode="solar", solar_floor_kw=2.5)
    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["charging_mode"], response.get_json()["solar_floor_kw"]) == ("solar", 2.5)
    assert replans() == [smart.station_id]
    run_jobs()
    sent = [payload for _, action, payload in link.calls if action == "SetChargingProfile"]
    assert [p["csChargingProfiles"]["transactionId"] for p in sent] == [tx]
    # no sun at this station: the session is held at the floor its driver chose, not SMART_SOLAR_FLOOR_KW
    assert sent[0]["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"] == [
        {"startPeriod": 0, "limit": 2500.0}]
    assert booking(booking_id).session.power_limit_kw == 2.5
    assert modes.used(booking(booking_id)) == ["fast", "solar"]
    active = client.get("/api/charging/sessions/active", headers=api).get_json()["session"]
    assert (active["chargingMode"], active["solarFloorKw"]) == ("solar", 2.5)


@pytest.mark.parametrize("body, status, field", [
    ({"charging_mode": "solar"}, 422, "charging_mode"),  # no smart charging at this charger
    ({"quota_kwh": 0.5}, 422, None),
    ({"charging_mode": "turbo"}, 422, None),
    ({}, 422, None),
    ({"quota_kwh": 10}, 422, "charging_mode"),  # nothing to change
])
def test_bad_changes_are_refused_and_change_nothing(client, charging, api, body, status, field):
    booking_id, _ = charging
    response = change(client, api, booking_id, **body)
    assert response.status_code == status, response.get_json()
    if field:
        assert response.get_json()["error"]["details"]["field"] == field
    b = booking(booking_id)
    assert (b.charging_mode, b.quota_kwh, b.amount_authorised) == ("fast", 10, 21800)


def test_another_drivers_booking_is_not_found(client, charging, factory):
    booking_id, _ = charging
    _, access, _ = tokens.issue_for(factory.user(email="other@example.com"))
    for preview in (True, False):
        response = change(client, {"Authorization": f"Bearer {access}"}, booking_id, preview=preview, quota_kwh=20)
        assert response.status_code == 404
    assert booking(booking_id).quota_kwh == 10


def test_only_a_charging_booking_can_change(client, driver, charger, api):
    from .conftest import confirmed_booking

    booking_id = confirmed_booking(client, charger.connectors[0])
    response = change(client, api, booking_id, quota_kwh=20)
    assert response.status_code == 409 and "only a charging session" in response.get_json()["error"]["message"]


# -- the live page -------------------------------------------------------------------------------------------
def test_live_page_previews_a_raise_then_confirming_tops_up(client, charging, clock):
    booking_id, tx = charging
    clock.advance(minutes=5)
    meter(tx, 1_004_000, 22000)
    live = client.get(f"/bookings/{booking_id}/live").get_data(as_text=True)
    assert "Fast charging" in live and f"/bookings/{booking_id}/change" in live
    page = client.get(f"/bookings/{booking_id}/change?charging_mode=fast&quota_kwh=20").get_data(as_text=True)
    assert "₹198.00 more will be held on your card (₹416.00 in all)" in page and "in about 44 min" in page
    assert booking(booking_id).quota_kwh == 10  # a preview changes nothing
    key = page.split('name="idempotency_key" value="')[1].split('"')[0]
    response = client.post(f"/bookings/{booking_id}/change", data={"charging_mode": "fast", "quota_kwh": "20",
                                                                   "idempotency_key": key})
    assert response.status_code == 303
    b = booking(booking_id)
    assert (b.quota_kwh, b.amount_authorised) == (20, 41600)


def test_live_page_change_errors_show_next_to_the_field(client, charging):
    booking_id, _ = charging
    response = client.get(f"/bookings/{booking_id}/change?charging_mode=fast&quota_kwh=500")
    assert response.status_code == 422 and 'id="f-quota_kwh-error"' in response.get_data(as_text=True)
    response = client.get(f"/bookings/{booking_id}/change?charging_mode=solar&quota_kwh=10")
    assert response.status_code == 422 and 'id="f-charging_mode-error"' in response.get_data(as_text=True)
    assert "only Fast is available here" in response.get_data(as_text=True)


def test_each_modes_energy_is_billed_at_its_price_and_the_receipt_shows_the_modes(client, charging, api, link,
                                                                                   charger, smart, clock):
    from .flow import status, stop_tx

    booking_id, tx = charging
    charger.station.tariff.price_per_kwh_solar = 1000
    db.session.commit()
    clock.advance(minutes=5)
    meter(tx, 1_002_000, 22000)
    assert change(client, api, booking_id, charging_mode="solar", solar_floor_kw=3).status_code == 200
    clock.advance(minutes=5)
    meter(tx, 1_004_000, 3000)
    assert change(client, api, booking_id, charging_mode="fast").status_code == 200
    assert booking(booking_id).mode_segments == [[0, "fast"], [2000, "solar"], [4000, "fast"]]
    clock.advance(minutes=5)
    stop_tx(tx, 1_005_000)
    status("Available")
    page = client.get(f"/bookings/{booking_id}/receipt").get_data(as_text=True)
    assert 'data-modes="fast,solar,fast"' in page and "Fast → Solar → Fast" in page
    assert 'data-energy-cost="7400"' in page  # 2 kWh at ₹18, 2 at ₹10 (Solar), 1 at ₹18
    # each segment with its kWh, price and cost
    for mode, wh, cost, line in (("fast", 2000, 3600, "Fast 2.000 kWh ₹18.00/kWh ₹36.00"),
                                 ("solar", 2000, 2000, "Solar 2.000 kWh ₹10.00/kWh ₹20.00"),
                                 ("fast", 1000, 1800, "Fast 1.000 kWh ₹18.00/kWh ₹18.00")):
        assert f'data-segment="{mode}" data-segment-wh="{wh}" data-segment-cost="{cost}"' in page
        assert line in text(page)
    b = booking(booking_id)
    assert (b.status, b.amount_captured) == ("COMPLETED", 7400 + 2000)


def test_a_declined_top_up_changes_nothing(client, driver, charger, link, clock):
    from .test_money import CAPTURE_FAILS, charging_booking

    booking_id, _ = charging_booking(client, driver, charger, details=CAPTURE_FAILS)
    _, access, _ = tokens.issue_for(driver)
    response = change(client, {"Authorization": f"Bearer {access}"}, booking_id, quota_kwh=30)
    assert response.status_code == 402 and "nothing was changed" in response.get_json()["error"]["message"]
    b = booking(booking_id)
    assert (b.quota_kwh, b.amount_authorised) == (10, 21800)
    assert not db.session.execute(select(AuditLog).where(AuditLog.action == "booking.change")).first()
