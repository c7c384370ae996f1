"""Nothing delivered goes unbilled (issue 10 point 1) and an outstanding balance can be settled (point 2):
the authorisation is raised before a session outruns it, a decline stops the charge, whatever capture cannot
take is owed on the driver's balance, the receipt shows it, and the balance page settles it."""
import uuid

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import AuditLog, Booking, Notification, Payment
from webapp.services.fleet import qr
from webapp.services.money import ledger

from .conftest import hold, pay
from .flow import meter, start_tx, status, stop_tx
from .pages import text

CAPTURE_FAILS = "4000 0000 0000 0341"


def charging_booking(client, driver, charger, details="4242 4242 4242 4242"):
    """A CHARGING booking (10 kWh quota: ₹218.00 authorised at ₹18/kWh + ₹20 fee) and its transaction id."""
    booking_id = hold(client, charger.connectors[0])
    assert pay(client, booking_id, details=details).status_code == 303
    client.post(f"/c/{qr.token_for(charger.connectors[0])}/start")
    status("Preparing")
    tx = start_tx(driver.id_tag)
    status("Charging")
    return booking_id, tx


def fresh(booking_id) -> Booking:
    db.session.expire_all()
    return db.session.get(Booking, booking_id)


def test_overrun_past_the_authorisation_is_owed_not_dropped(client, driver, charger, link, clock):
    booking_id, tx = charging_booking(client, driver, charger)
    clock.advance(minutes=30)
    stop_tx(tx, 1_011_030)  # 11.03 kWh, no meter values on the way: nothing could raise the authorisation
    status("Available")
    b = fresh(booking_id)
    total = (11030 * 1800 + 500) // 1000 + 2000
    assert (total, b.amount_authorised, b.amount_captured) == (21854, 21800, 21800)
    assert ledger.outstanding(driver.id) == total - 21800 == 54
    page = text(client.get(f"/bookings/{booking_id}/receipt").get_data(as_text=True))
    assert "Total ₹218.54" in page and "Charged ₹218.00" in page and "Outstanding ₹0.54" in page
    assert "Released ₹0.00" in page


def test_overstay_idle_fee_past_the_authorisation_is_owed(client, driver, charger, link, clock, run_jobs):
    booking_id, tx = charging_booking(client, driver, charger)
    clock.advance(minutes=28)
    stop_tx(tx, 1_010_000, reason="Local")  # ₹200.00 of ₹218.00
    status("Finishing")
    clock.advance(minutes=10 + 30)  # 30 minutes past the exit grace at ₹5.00 a minute
    run_jobs(clock.now)
    status("Available")
    b = fresh(booking_id)
    assert b.idle_fee == 15000 and b.amount_captured == 21800
    assert ledger.outstanding(driver.id) == 20000 + 15000 - 21800


def test_nearing_the_authorisation_raises_it_and_captures_everything(client, driver, charger, link, clock, run_jobs):
    booking_id, tx = charging_booking(client, driver, charger)
    clock.advance(minutes=25)
    meter(tx, 1_010_500, 22000)  # ₹209.00: past 95 % of ₹218.00
    run_jobs()
    increments = db.session.execute(select(Payment).where(Payment.booking_id == booking_id,
                                                          Payment.kind == "increment")).scalars().all()
    assert [(p.status, p.idempotency_key) for p in increments] == [("succeeded", f"booking-{booking_id}-increment-1")]
    b = fresh(booking_id)
    assert b.amount_authorised == 21800 + increments[0].amount and b.status == "CHARGING"
    meter(tx, 1_010_600, 22000)  # another reading past the threshold does not ask again
    run_jobs()
    assert db.session.execute(select(Payment).where(Payment.kind == "increment")).scalars().all() == increments
    stop_tx(tx, 1_011_030)
    status("Available")
    b = fresh(booking_id)
    assert b.amount_captured == 21854 and ledger.outstanding(driver.id) == 0
    assert b.amount_refunded == b.amount_authorised - 21854


def test_declined_increment_stops_the_charge(client, driver, charger, link, clock, run_jobs):
    booking_id, tx = charging_booking(client, driver, charger, details=CAPTURE_FAILS)
    clock.advance(minutes=25)
    meter(tx, 1_010_500, 22000)
    run_jobs()
    run_jobs()  # the stop job the decline enqueued
    increment = db.session.execute(select(Payment).where(Payment.kind == "increment")).scalar_one()
    assert increment.status == "declined"
    # The quota stop went out too (10.5 kWh > 10): the decline joins that one stop (no second chain, no
    # burst), and a charger that ignored it is stopped again by the retry.
    def stops():
        return [c for c in link.calls if c == ("CP-TEST-1", "RemoteStopTransaction", {"transactionId": tx})]
    assert len(stops()) == 1
    clock.advance(seconds=31)
    run_jobs()
    assert len(stops()) == 2
    note = db.session.execute(select(Notification).where(Notification.kind == "authorisation_declined")).scalar_one()
    assert note.user_id == driver.id
    entry = db.session.execute(select(AuditLog).where(AuditLog.action == "booking.topup_declined")).scalar_one()
    assert (entry.via, entry.target_id, entry.after["payment_id"]) == ("job", str(booking_id), increment.id)


def test_failed_capture_owes_the_total_and_the_block_links_to_the_balance(client, driver, charger, link, clock):
    booking_id, tx = charging_booking(client, driver, charger, details=CAPTURE_FAILS)
    clock.advance(minutes=15)
    stop_tx(tx, 1_005_000)
    status("Available")
    b = fresh(booking_id)
    assert b.amount_captured == 0 and ledger.outstanding(driver.id) == 5000 * 1800 // 1000 + 2000 == 11000
    kinds = {(p.kind, p.status) for p in b.payments}
    assert ("capture", "failed") in kinds and ("void", "succeeded") in kinds  # the useless hold is released
    page = text(client.get(f"/bookings/{booking_id}/receipt").get_data(as_text=True))
    assert "Charged ₹0.00" in page and "Outstanding ₹110.00" in page
    response = client.post("/bookings", data={"connector_id": charger.connectors[1].id}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "You owe ₹110.00" in text(html) and 'href="/account/balance"' in html


def test_driver_settles_the_balance_on_its_page(client, driver, charger, link, clock):
    booking_id, tx = charging_booking(client, driver, charger, details=CAPTURE_FAILS)
    stop_tx(tx, 1_005_000)
    status("Available")
    page = client.get("/account/balance")
    assert page.status_code == 200 and "₹110.00" in text(page.get_data(as_text=True))
    assert f"/bookings/{booking_id}/receipt" in page.get_data(as_text=True)
    declined = client.post("/account/balance/pay", data={"method": "card", "details": "4000 0000 0000 0002",
                                                         "idempotency_key": uuid.uuid4().hex},
                           follow_redirects=True)
    assert "Your card was declined." in text(declined.get_data(as_text=True))
    assert ledger.outstanding(driver.id) == 11000
    key = uuid.uuid4().hex
    form = {"method": "upi", "details": "me@okbank", "idempotency_key": key}
    paid = client.post("/account/balance/pay", data=form, follow_redirects=True)
    assert "₹110.00 paid" in text(paid.get_data(as_text=True))
    again = client.post("/account/balance/pay", data=form, follow_redirects=True)  # a double submit
    assert again.status_code == 200
    settles = db.session.execute(select(Payment).where(Payment.kind == "settle",
                                                       Payment.status == "succeeded")).scalars().all()
    assert len(settles) == 1 and settles[0].amount == 11000 and ledger.outstanding(driver.id) == 0
    assert "Nothing to pay" in text(client.get("/account/balance").get_data(as_text=True))
    assert client.post("/bookings", data={"connector_id": charger.connectors[1].id}).status_code == 303
