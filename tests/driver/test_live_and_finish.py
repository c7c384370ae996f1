"""Live session and finish: live numbers in a polled fragment (286 when over), stop by the driver or by
quota, exit grace, COMPLETED with capture + refund, the receipt, OVERSTAY with its idle fee, faults."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Booking, Notification, Payment
from webapp.services.fleet import qr

from .conftest import confirmed_booking
from .flow import meter, status, stop_tx
from .pages import fragment_headers, text

LIVE = fragment_headers("live-session")


def booking(booking_id) -> Booking:
    db.session.expire_all()
    return db.session.get(Booking, booking_id)


def test_waiting_for_the_charger_after_start(client, driver, charger, link):
    booking_id = confirmed_booking(client, charger.connectors[0])
    client.post(f"/c/{qr.token_for(charger.connectors[0])}/start")
    response = client.get(f"/bookings/{booking_id}/live", headers=LIVE)
    assert response.status_code == 200 and "Waiting for the charger" in text(response.get_data(as_text=True))
    assert 'hx-trigger="every 2s' in response.get_data(as_text=True)



def test_the_door_message_goes_once_charging_starts(client, driver, charger, link):
    """It lives in the polled live session, not a flash that stays on screen after the car starts charging."""
    from webapp.services.charging import transactions
    from webapp.timeutil import utcnow

    booking_id = confirmed_booking(client, charger.connectors[0])
    before = text(client.get(f"/bookings/{booking_id}/live", headers=LIVE).get_data(as_text=True))
    assert "The door is unlocked" not in before  # nothing unlocked yet
    client.post(f"/c/{qr.token_for(charger.connectors[0])}/start")
    waiting = client.get(f"/bookings/{booking_id}/live", headers=LIVE).get_data(as_text=True)
    assert "The door is unlocked" in text(waiting) and "Last updated" in text(waiting)
    transactions.start("CP-TEST-1", 1, driver.id_tag, 1000, utcnow())
    db.session.commit()
    assert booking(booking_id).status == "CHARGING"
    charging = client.get(f"/bookings/{booking_id}/live", headers=LIVE).get_data(as_text=True)
    assert "The door is unlocked" not in text(charging) and "Charging" in text(charging)
    page = client.get(f"/bookings/{booking_id}/live").get_data(as_text=True)
    assert "The door is unlocked" not in text(page)  # nor in a flash on the full page


def test_live_numbers(client, charging, clock):
    booking_id, tx = charging
    clock.advance(minutes=10)
    meter(tx, 1_002_500, 11000, 45)
    response = client.get(f"/bookings/{booking_id}/live", headers=LIVE)
    html = response.get_data(as_text=True)
    page = text(html)
    assert response.status_code == 200 and html.lstrip().startswith('<section id="live-session"')
    assert "Energy 2.50 kWh" in page and "Power 11.0 kW" in page and "Battery 45 %" in page
    assert "Elapsed 10 min 00 s" in page
    assert "Cost so far ₹65.00" in page  # 2.5 kWh x ₹18 + ₹20 session fee
    assert 'value="25.0"' in html and "Quota: 2.50 of 10.0 kWh" in page
    eta = (clock.now + timedelta(hours=7.5 / 11)).astimezone(__import__("zoneinfo").ZoneInfo("Asia/Kolkata"))
    assert f"Estimated finish {eta:%H:%M}" in page
    assert "Stop charging" in page and 'hx-trigger="every 2s' in html
    full = client.get(f"/bookings/{booking_id}/live").get_data(as_text=True)
    assert "<html" in full and 'id="live-session"' in full


def test_soc_not_reported(client, charging):
    booking_id, tx = charging
    meter(tx, 1_000_500, 7000)
    assert "Battery not reported" in text(client.get(f"/bookings/{booking_id}/live", headers=LIVE).get_data(as_text=True))


def test_driver_stops_then_connector_freed_completes_and_captures(client, driver, charging, link, clock):
    booking_id, tx = charging
    clock.advance(minutes=12)
    meter(tx, 1_004_000, 22000, 50)
    response = client.post(f"/bookings/{booking_id}/stop", follow_redirects=True)
    assert "Stopping the charge" in text(response.get_data(as_text=True))
    assert ("CP-TEST-1", "RemoteStopTransaction", {"transactionId": tx}) in link.calls
    stop_tx(tx, 1_004_321)
    b = booking(booking_id)
    assert b.status == "FINISHING" and b.end_reason == "stopped by driver"
    fragment = client.get(f"/bookings/{booking_id}/live", headers=LIVE)
    assert fragment.status_code == 200 and "Unplug and close the door within" in text(fragment.get_data(as_text=True))
    assert "Stop charging" not in fragment.get_data(as_text=True)
    status("Available")
    b = booking(booking_id)
    assert b.status == "COMPLETED"
    expected = (4321 * 1800 + 500) // 1000 + 2000  # energy x price (rounded half up) + session fee
    assert b.amount_captured == expected == 9778
    assert b.amount_refunded == b.amount_authorised - expected
    final = client.get(f"/bookings/{booking_id}/live", headers=LIVE)
    assert final.status_code == 286 and "hx-trigger" not in final.get_data(as_text=True)
    assert "See your receipt" in text(final.get_data(as_text=True))


def test_receipt(client, driver, charging, link, clock):
    booking_id, tx = charging
    clock.advance(minutes=30)
    stop_tx(tx, 1_012_000)  # 12 kWh in 30 min: past the 10 kWh quota and its 10 % headroom
    status("Available")
    html = client.get(f"/bookings/{booking_id}/receipt").get_data(as_text=True)
    page = text(html)
    assert "Energy 12.000 kWh" in page and "Duration 30 min 00 s" in page and "Average power 24.0 kW" in page
    assert "Energy (₹18.00/kWh) ₹216.00" in page and "Session fee ₹20.00" in page and "Total ₹236.00" in page
    b = booking(booking_id)
    assert b.amount_authorised == 21800 and b.amount_captured == 21800  # all the card could be charged for
    assert "Outstanding ₹18.00" in page and "the rest is on your balance" in page  # the rest is owed, not dropped
    refs = db.session.execute(select(Payment.provider_ref).where(Payment.booking_id == booking_id)).scalars().all()
    assert refs and all(ref and ref in html for ref in refs)
    assert "Rate " in page


def test_quota_reached_stops_from_the_server(client, driver, charging, link, run_jobs, clock):
    booking_id, tx = charging
    clock.advance(minutes=20)
    meter(tx, 1_009_000, 22000)
    run_jobs()
    assert "RemoteStopTransaction" not in link.actions()
    clock.advance(minutes=3)
    meter(tx, 1_010_050, 22000)
    run_jobs()
    assert ("CP-TEST-1", "RemoteStopTransaction", {"transactionId": tx}) in link.calls
    note = db.session.execute(select(Notification).where(Notification.kind == "quota_reached")).scalar_one()
    assert note.user_id == driver.id
    stop_tx(tx, 1_010_080)
    assert booking(booking_id).end_reason == "quota reached"
    status("Finishing")
    status("Available")
    b = booking(booking_id)
    # 10.08 kWh costs ₹201.44: the overshoot past the quota is inside the 10 % headroom and billed exactly.
    assert b.status == "COMPLETED" and b.amount_captured == (10080 * 1800 + 500) // 1000 + 2000 == 20144
    assert b.amount_refunded == b.amount_authorised - 20144


def test_overstay_shows_and_charges_the_idle_fee(client, driver, charging, link, clock, run_jobs):
    booking_id, tx = charging
    clock.advance(minutes=5)
    stop_tx(tx, 1_005_000, reason="Local")
    status("Finishing")
    b = booking(booking_id)
    assert b.exit_by == clock.now + timedelta(minutes=10)
    run_jobs(clock.now)
    assert booking(booking_id).status == "FINISHING"  # not yet
    clock.advance(minutes=10, seconds=1)
    run_jobs(clock.now)
    assert booking(booking_id).status == "OVERSTAY"
    clock.advance(minutes=2)  # 2 min 1 s past the exit grace: 3 started minutes at ₹5
    fragment = text(client.get(f"/bookings/{booking_id}/live", headers=LIVE).get_data(as_text=True))
    assert "Please move your car" in fragment and "Idle fee so far: ₹15.00" in fragment
    status("Available")
    b = booking(booking_id)
    assert b.status == "COMPLETED" and b.idle_fee == 1500
    assert b.amount_captured == 5 * 1800 + 2000 + 1500
    receipt = text(client.get(f"/bookings/{booking_id}/receipt").get_data(as_text=True))
    assert "Idle fee (past the exit grace) ₹15.00" in receipt and "Total ₹125.00" in receipt
    kinds = set(db.session.execute(select(Notification.kind)).scalars())
    assert "overstay" in kinds


def test_exit_grace_job_running_twice_or_late_is_harmless(client, driver, charging, clock, run_jobs):
    booking_id, tx = charging
    stop_tx(tx, 1_001_000)
    from webapp.services.booking import bookings

    clock.advance(minutes=30)
    assert bookings.exit_grace(booking_id) is True
    assert bookings.exit_grace(booking_id) is False
    run_jobs(clock.now)
    assert booking(booking_id).status == "OVERSTAY"


def test_fault_mid_session_ends_it_and_charges_only_what_was_delivered(client, driver, charging, link, clock,
                                                                      run_jobs):
    booking_id, tx = charging
    clock.advance(minutes=4)
    meter(tx, 1_001_500, 22000, 40)
    status("Faulted", error="GroundFailure")
    run_jobs()
    assert ("CP-TEST-1", "RemoteStopTransaction", {"transactionId": tx}) in link.calls
    stop_tx(tx, 1_001_600, reason="Other")
    b = booking(booking_id)
    assert b.status == "COMPLETED" and b.end_reason == "charger fault"
    assert b.amount_captured == (1600 * 1800 + 500) // 1000 + 2000 and b.idle_fee == 0
    assert b.amount_refunded == b.amount_authorised - b.amount_captured
    note = db.session.execute(select(Notification).where(Notification.kind == "charger_fault",
                                                         Notification.user_id == driver.id)).scalar_one()
    assert "GroundFailure" in note.body and "you pay only for what was delivered" in note.body
    clock.advance(hours=1)
    run_jobs(clock.now)
    assert booking(booking_id).status == "COMPLETED" and booking(booking_id).idle_fee == 0
    receipt = text(client.get(f"/bookings/{booking_id}/receipt").get_data(as_text=True))
    assert "Charger fault" in receipt and "Energy 1.600 kWh" in receipt
    html = client.get(f"/stations/{b.connector.charger.station_id}").get_data(as_text=True)
    assert re.search(r'data-state="faulted"', html)  # not bookable until it recovers


def test_fault_before_start_cancels_and_releases(client, driver, charger, link):
    booking_id = confirmed_booking(client, charger.connectors[0])
    status("Faulted", error="ConnectorLockFailure")
    b = booking(booking_id)
    assert b.status == "CANCELLED" and b.amount_captured == 0 and b.amount_refunded == b.amount_authorised
    page = text(client.get(f"/bookings/{booking_id}").get_data(as_text=True))
    assert "Booking cancelled" in page and "charger fault" in page


def test_stop_when_not_charging_is_refused(client, driver, charger, link):
    booking_id = confirmed_booking(client, charger.connectors[0])
    response = client.post(f"/bookings/{booking_id}/stop", follow_redirects=True)
    assert "This booking is not charging" in text(response.get_data(as_text=True))
    assert "RemoteStopTransaction" not in link.actions()
