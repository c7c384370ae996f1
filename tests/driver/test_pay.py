"""Pay: quota presets or an amount, the pre-authorisation, card/UPI/wallet, test cards, retries,
idempotency, the opening hours checked again, CONFIRMED with an arrive-by countdown, ReserveNow."""
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Booking, Payment

from .conftest import hold, pay
from .pages import text


@pytest.fixture
def held(client, driver, charger):
    return hold(client, charger.connectors[0])


def payments_of(booking_id):
    db.session.expire_all()
    return db.session.execute(select(Payment).where(Payment.booking_id == booking_id).order_by(Payment.id)).scalars().all()


def test_pay_page_shows_presets_with_their_pre_authorisation(client, held):
    page = text(client.get(f"/bookings/{held}").get_data(as_text=True))
    # 18.00/kWh + 20.00 session fee: 5 kWh = 110, 10 kWh = 200, 20 kWh = 380, 40 kWh = 740
    for kwh, amount in ((5, "124.40"), (10, "218.00"), (20, "416.00"), (40, "812.00")):  # quota + headroom, + fee
        assert f"{kwh} kWh pre-authorise ₹{amount}" in page
    assert "Pre-authorisation: ₹218.00 for 10 kWh" in page


@pytest.mark.parametrize("query, expected", [
    ("quota=20", "₹416.00</strong> for 20 kWh"),
    ("quota=kwh&custom_kwh=12.5", "₹268.40</strong> for 12.5 kWh"),
    ("quota=amount&amount=300", "₹297.20</strong> for 14 kWh"),  # the most energy ₹300 buys, in 0.1 kWh
    ("quota=kwh&custom_kwh=500", "between 1 and 150 kWh"),
    ("quota=kwh&custom_kwh=abc", "Type a number"),
    ("quota=amount&amount=10", "the minimum is ₹52.40"),
    ("", "Choose how much energy"),
])
def test_live_quote(client, held, query, expected):
    assert expected in client.get(f"/bookings/{held}/quote?{query}").get_data(as_text=True)


def test_successful_payment_confirms_with_arrive_by_and_reserves(client, held, clock, app):
    response = pay(client, held, quota="20")
    assert response.status_code == 303
    booking = db.session.get(Booking, held)
    assert booking.status == "CONFIRMED" and booking.quota_kwh == 20
    assert booking.amount_authorised == 41600
    assert booking.arrive_by == clock.now + timedelta(minutes=15)
    [auth] = payments_of(held)
    assert (auth.kind, auth.status, auth.amount, auth.method) == ("authorise", "succeeded", 41600, "card")
    page = client.get(f"/bookings/{held}").get_data(as_text=True)
    assert "Confirmed. Arrive and start charging within" in text(page) and ">15:00</time>" in page
    assert "Type the charger id" in page
    pending = [func for _, func, _ in app.extensions["chargeway_timers"].pending()]
    assert "jobs.charging.reserve" in pending and "jobs.bookings.arrival_grace" in pending


@pytest.mark.parametrize("method, details, reason, next_to_field", [
    ("card", "4000 0000 0000 0002", "Your card was declined.", True),
    ("card", "4000 0000 0000 9995", "Insufficient funds.", True),
    ("card", "4000 0000 0000 0119", "The payment gateway had an error. Please try again.", False),
    ("card", "1234 5678 9012 3456", "That card number is not valid.", True),
    ("upi", "decline@upi", "Your bank declined this UPI payment.", True),
    ("upi", "poor@upi", "Not enough money in the bank account behind this UPI id.", True),
    ("upi", "nobody", "Enter a UPI id", True),
])
def test_failed_payment_is_explained_and_can_be_retried(client, held, method, details, reason, next_to_field):
    failed = pay(client, held, method=method, details=details)
    if next_to_field:  # a decline concerns what was typed: said under that field, the typed value kept
        assert failed.status_code == 402
        page = failed.get_data(as_text=True)
        error = page.split('id="f-details-error"')[1].split("</small>")[0]
        assert reason in text(error) and f'value="{details}"' in page
        assert method == "card" or "card" not in text(error).lower()  # a UPI decline is not "your card"
    else:  # the gateway's own trouble: said above the form
        assert failed.status_code == 303
        page = client.get(f"/bookings/{held}").get_data(as_text=True)
    assert reason in text(page) and "Pay and confirm" in page
    assert db.session.get(Booking, held).status == "HELD"
    ok = pay(client, held, method="upi", details="driver@okbank")
    assert ok.status_code == 303
    attempts = payments_of(held)
    assert [p.status for p in attempts] == [attempts[0].status, "succeeded"] and attempts[0].status != "succeeded"
    assert len({p.idempotency_key for p in attempts}) == 2
    assert db.session.get(Booking, held).status == "CONFIRMED"


def test_failed_payment_json_is_402_and_notifies(client, held):
    response = pay(client, held, details="4000 0000 0000 0002")
    assert response.status_code == 402  # the page again, the decline under the card number
    response = client.post(f"/bookings/{held}/pay", headers={"Accept": "application/json"},
                           data={"quota": "10", "method": "card", "details": "4000000000000002",
                                 "idempotency_key": uuid.uuid4().hex})
    assert response.status_code == 402 and response.json["error"]["details"]["retryable"] is True
    assert "Payment failed" in text(client.get("/notifications").get_data(as_text=True))


def test_double_submit_charges_once(client, held):
    key = uuid.uuid4().hex
    assert pay(client, held, key=key).status_code == 303
    assert pay(client, held, key=key).status_code == 303
    auths = [p for p in payments_of(held) if p.kind == "authorise"]
    assert len(auths) == 1 and auths[0].status == "succeeded"


def test_double_submit_of_a_declined_form_does_not_call_the_gateway_twice(client, held, monkeypatch):
    from webapp.services.money import gateway

    calls = []
    real = gateway.get().authorise
    monkeypatch.setattr(gateway.get(), "authorise", lambda *a: calls.append(a) or real(*a))
    key = uuid.uuid4().hex
    pay(client, held, details="4000 0000 0000 0002", key=key)
    pay(client, held, details="4000 0000 0000 0002", key=key)
    assert len(calls) == 1 and len(payments_of(held)) == 1


@pytest.mark.parametrize("key", ["", "short", "x" * 41, "not a valid key!!"])
def test_stale_or_forged_form_key_is_refused(client, held, key):
    response = client.post(f"/bookings/{held}/pay", data={"quota": "10", "method": "card",
                                                          "details": "4242424242424242", "idempotency_key": key},
                           follow_redirects=True)
    assert "out of date" in text(response.get_data(as_text=True)) and payments_of(held) == []


@pytest.mark.parametrize("data, field, message", [
    ({"quota": "kwh", "custom_kwh": "0.2"}, "custom_kwh", "Choose between 1 and 150 kWh"),  # the service's limit
    ({"quota": "kwh", "custom_kwh": "lots"}, "custom_kwh", "Type a number"),
    ({"quota": "kwh", "custom_kwh": ""}, "custom_kwh", "Type the energy in kWh"),
    ({"quota": "amount", "amount": "1.2.3"}, "amount", "amount"),
    ({"quota": "amount", "amount": "10"}, "amount", "the minimum is"),
    ({"quota": "", "method": "card"}, "quota", "Choose how much energy to buy"),
    ({"quota": "10", "method": "cash"}, "method", "Choose card, UPI or wallet"),
    ({"quota": "10", "details": "  "}, "details", "Enter the card number"),
])
def test_bad_quota_or_method_is_shown_next_to_its_field_and_leaves_nothing_written(client, held, data, field,
                                                                                   message):
    response = pay(client, held, **data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    error = page.split(f'id="f-{field}-error"')[1].split("</small>")[0]
    assert message.lower() in error.lower()
    if data.get(field, "").strip() and field not in ("quota", "method"):  # the typed value is kept
        assert f'value="{data[field]}"' in page and f'aria-describedby="f-{field}-error"' in page
    assert payments_of(held) == [] and db.session.get(Booking, held).status == "HELD"


def test_a_refused_form_keeps_the_drivers_choices(client, held):
    page = pay(client, held, quota="amount", amount="10", method="upi", details="me@bank").get_data(as_text=True)
    assert 'value="amount" checked' in page and 'value="upi" checked' in page and 'value="me@bank"' in page
    assert 'value="card" checked' not in page


def test_wallet_and_amount_quota(client, held):
    assert pay(client, held, method="wallet", details="9876543210", quota="amount", amount="300").status_code == 303
    booking = db.session.get(Booking, held)
    assert booking.status == "CONFIRMED" and booking.quota_kwh == 14.0 and booking.amount_authorised == 29720


def test_hours_are_checked_again_when_paying(client, held, charger):
    station = charger.station
    station.always_open, station.opening_hours = False, {}
    db.session.commit()
    response = client.post(f"/bookings/{held}/pay", headers={"Accept": "application/json"},
                           data={"quota": "10", "method": "card", "details": "4242424242424242",
                                 "idempotency_key": uuid.uuid4().hex})
    assert response.status_code == 403 and response.json["error"]["message"] == "Payment blocked. Station is closed."
    assert payments_of(held) == []


def test_paying_an_expired_hold_is_refused(client, held, clock):
    clock.advance(minutes=11)
    response = pay(client, held)
    page = text(client.get(f"/bookings/{held}").get_data(as_text=True))
    assert response.status_code == 303 and "Your hold expired" in page
    assert payments_of(held) == []


def test_cancel_after_payment_voids_the_authorisation(client, held):
    pay(client, held)
    client.post(f"/bookings/{held}/cancel")
    booking = db.session.get(Booking, held)
    assert booking.status == "CANCELLED" and booking.amount_refunded == booking.amount_authorised
    assert [p.kind for p in payments_of(held)] == ["authorise", "void"]
