"""The account forms (register, log in, balance): a bad input is shown next to its field and writes nothing."""
import uuid

from webapp.extensions import db
from webapp.models import Payment, User
from webapp.services.money import ledger


def test_a_battery_that_is_not_a_number_is_refused_next_to_its_field(client):
    for typed in ("lots", "nan", "inf", "300"):
        response = client.post("/register", data={"email": "b@example.com", "name": "B", "password": "long-enough-1",
                                                  "battery_kwh": typed})
        html = response.get_data(as_text=True)
        assert response.status_code == 422 and 'id="f-battery_kwh-error"' in html, typed
        assert "Battery capacity must be" in html and 'value="b@example.com"' in html
    assert db.session.execute(db.select(User).where(User.email == "b@example.com")).first() is None


def test_a_good_registration_saves_typed_values(client):
    response = client.post("/register", data={"email": " Good@Example.com ", "name": " Gia ",
                                              "password": "long-enough-1", "battery_kwh": "42.5"})
    assert response.status_code == 302
    user = db.session.execute(db.select(User).where(User.email == "good@example.com")).scalar_one()
    assert user.name == "Gia" and user.battery_kwh == 42.5


def test_a_blank_login_is_refused_on_its_fields(client):
    response = client.post("/login", data={"email": "", "password": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Enter your email address." in html and "Enter your password." in html


def test_the_balance_form_refuses_an_unknown_method_on_its_field(client, factory, login):
    driver = factory.user()
    ledger.add("owed:form-test", driver.id, "owed", 700, "INR", reason="capture failed")
    db.session.commit()
    login(driver)
    response = client.post("/account/balance/pay", data={"method": "cheque", "details": "12345",
                                                         "idempotency_key": uuid.uuid4().hex})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="f-method-error"' in html and "Choose card, UPI or wallet." in html
    assert 'value="12345"' in html
    stale = client.post("/account/balance/pay", data={"method": "card", "details": "4242", "idempotency_key": "x"})
    assert stale.status_code == 422 and "out of date" in stale.get_data(as_text=True)
    assert db.session.execute(db.select(Payment).where(Payment.kind == "settle")).first() is None
    assert ledger.outstanding(driver.id) == 700
