"""The outstanding balance over the API: GET /api/balance, POST /api/balance/pay (Idempotency-Key, the same
gateway and declines as paying a booking), and the receipt's captured + outstanding == total."""
from webapp.extensions import db
from webapp.services.booking import checkout
from webapp.services.charging import transactions
from webapp.services.fleet import chargers
from webapp.timeutil import utcnow

from .conftest import assert_error


def owing(driver, held, card="4000000000000341", stop_wh=5000):
    """Pay the held booking with `card`, charge `stop_wh`, free the connector: the booking is COMPLETED."""
    booking, _ = checkout.pay(driver, held.id, 10, "card", card, "owing-key-1")
    tx, _ = transactions.start("CP-API-1", 1, driver.id_tag, 0, utcnow())
    transactions.stop("CP-API-1", tx, stop_wh, utcnow(), "Local")
    chargers.status_notification("CP-API-1", 1, "Available", "NoError", utcnow())
    db.session.commit()
    return booking


def test_receipt_shows_captured_and_outstanding(client, driver, held, bearer):
    booking = owing(driver, held, card="4242424242424242", stop_wh=12000)  # ₹236.00 on ₹218.00 authorised
    body = client.get(f"/api/bookings/{booking.id}/receipt", headers=bearer(driver)).get_json()
    assert body["breakdown"]["total"] == 23600 and body["captured"] == 21800 and body["outstanding"] == 1800
    assert body["captured"] + body["outstanding"] == body["breakdown"]["total"]
    assert body["outstanding_due"] == 1800


def test_balance_lists_what_is_owed_and_pays_it_once(client, driver, held, bearer):
    booking = owing(driver, held)
    headers = bearer(driver)
    body = client.get("/api/balance", headers=headers).get_json()
    assert body["outstanding"] == 11000 and body["currency"] == "INR"
    assert [(e["kind"], e["amount"], e["booking_id"]) for e in body["entries"]] == [("owed", 11000, booking.id)]
    assert_error(client.post("/api/balance/pay", headers=headers, json={"payment_method": "card"}), 400,
                 "missing_header")
    declined = assert_error(client.post("/api/balance/pay", headers={**headers, "Idempotency-Key": "bal-key-0001"},
                                        json={"payment_method": "card", "payment_details": "4000000000000002"}),
                            402, "payment_failed")
    assert declined["details"]["retryable"] is True
    pay = {"payment_method": "UPI", "payment_details": "me@okbank"}
    first = client.post("/api/balance/pay", headers={**headers, "Idempotency-Key": "bal-key-0002"}, json=pay)
    assert first.status_code == 200, first.get_json()
    again = client.post("/api/balance/pay", headers={**headers, "Idempotency-Key": "bal-key-0002"}, json=pay)
    assert again.status_code == 200 and again.get_json()["payment"]["id"] == first.get_json()["payment"]["id"]
    assert first.get_json()["payment"]["amount"] == 11000 and again.get_json()["outstanding"] == 0
    assert client.get("/api/balance", headers=headers).get_json()["outstanding"] == 0
    nothing = assert_error(client.post("/api/balance/pay", headers={**headers, "Idempotency-Key": "bal-key-0003"},
                                       json=pay), 409)
    assert "Nothing to pay" in nothing["message"]
    receipt = client.get(f"/api/bookings/{booking.id}/receipt", headers=headers).get_json()
    assert receipt["outstanding"] == 11000 and receipt["outstanding_due"] == 0


def test_the_block_on_booking_says_how_much_and_where(client, driver, held, charger, bearer):
    owing(driver, held)
    error = assert_error(client.post("/api/bookings", headers=bearer(driver),
                                     json={"charger_id": "CP-API-1", "connector_id": 2}), 403)
    assert "₹110.00" in error["message"]
    assert error["details"] == {"debt": 11000, "outstanding": 11000, "currency": "INR", "balance_url": "/api/balance",
                                "page": "/account/balance"}
