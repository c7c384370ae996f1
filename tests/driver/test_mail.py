"""Email: receipts, payment confirmations, failed payments and account events reach a real SMTP server
started in the test (aiosmtpd), or one .eml per mail in MAIL_DIR; preferences decide; a server that is away
is retried, a refusal for good is recorded."""
import email
import re
from email import policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import NotificationDelivery
from webapp.services.platform import notifications, preferences

from tests.conftest import free_port

from .conftest import confirmed_booking, hold, pay
from .flow import meter, start_tx, status, stop_tx


class Inbox:
    """An SMTP server's handler: keeps every message; `answers` are replies given to DATA first."""

    def __init__(self):
        self.messages = []
        self.answers = []

    async def handle_DATA(self, server, session, envelope):
        if self.answers:
            return self.answers.pop(0)
        self.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"

    def subjects(self):
        return [m["Subject"] for _, m in self.messages]

    def one(self, subject):
        [(rcpt, message)] = [(r, m) for r, m in self.messages if m["Subject"] == subject]
        return rcpt, message


@pytest.fixture
def smtp_port():
    return free_port()


@pytest.fixture
def inbox(smtp_port):
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    yield handler
    controller.stop()


@pytest.fixture
def app_overrides(smtp_port):
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_port, "MAIL_USE_TLS": False,
            "MAIL_DEFAULT_SENDER": "Chargeway <noreply@chargeway.test>", "PUBLIC_URL": "https://charge.example",
            "JOB_RETRY_INTERVALS": (0,), "JOB_RETRY_MAX": 3}


def test_payment_confirmation_and_receipt_by_email_with_station_time(client, driver, charger, clock, link, run_jobs,
                                                                       inbox):
    from webapp.services.fleet import qr

    booking_id = confirmed_booking(client, charger.connectors[0])
    run_jobs(clock.now)
    rcpt, confirmed = inbox.one("Chargeway: Booking confirmed")
    assert rcpt == ["driver@example.com"] and confirmed["From"] == "Chargeway <noreply@chargeway.test>"
    text = confirmed.get_content()
    assert "Hello Dee Driver," in text and " IST" in text and "Arrive and scan the QR code" in text
    assert f"Open: https://charge.example/bookings/{booking_id}" in text
    assert "https://charge.example/account/notifications" in text
    client.post(f"/c/{qr.token_for(charger.connectors[0])}/start")
    tx = start_tx(driver.id_tag)
    clock.advance(minutes=10)
    meter(tx, 1_004_000, 22000)
    stop_tx(tx, 1_004_000, reason="Local")
    status("Available")  # settles: capture and release
    run_jobs(clock.now)
    assert "Chargeway: Charging started" not in inbox.subjects()  # email off by default for this kind
    _, receipt = inbox.one("Chargeway: Payment captured")
    body = receipt.get_content()
    assert f"booking #{booking_id}" in body and "₹" in body and "4.00 kWh" in body
    assert re.search(r"\d\d:\d\d IST to \d\d:\d\d IST", body), body
    assert f"Open: https://charge.example/bookings/{booking_id}/receipt" in body
    inbox.one("Chargeway: Refunded")
    assert db.session.execute(select(NotificationDelivery.status).where(
        NotificationDelivery.channel == "email")).scalars().all() == ["sent"] * 3


def test_a_failed_capture_emails_the_balance_owed(client, driver, charger, clock, link, run_jobs, inbox):
    from webapp.services.fleet import qr

    booking_id = hold(client, charger.connectors[0])
    assert pay(client, booking_id, details="4000 0000 0000 0341").status_code == 303  # the capture will fail
    client.post(f"/c/{qr.token_for(charger.connectors[0])}/start")
    tx = start_tx(driver.id_tag)
    clock.advance(minutes=10)
    meter(tx, 1_004_000, 22000)
    stop_tx(tx, 1_004_000, reason="Local")
    status("Available")
    run_jobs(clock.now)
    _, owed = inbox.one("Chargeway: Amount outstanding")
    body = owed.get_content()
    assert f"of booking #{booking_id} could not be collected" in body
    assert "Open: https://charge.example/account/balance" in body
    assert "Chargeway: Payment captured" not in inbox.subjects()


def test_email_off_for_receipts_keeps_payment_problems(client, driver, charger, clock, link, run_jobs, inbox):
    wanted = preferences.choices(driver.id)
    wanted[("receipt", "email")] = False
    preferences.save(driver.id, wanted)
    booking_id = hold(client, charger.connectors[0])
    pay(client, booking_id, details="4000 0000 0000 0002")  # declined
    pay(client, booking_id)
    run_jobs(clock.now)
    assert inbox.subjects() == ["Chargeway: Payment failed"]
    assert "Your card was declined." in inbox.messages[0][1].get_content()


def test_account_events_are_emailed(client, driver, factory, run_jobs, inbox):
    from webapp.services.accounts import roles

    response = client.post("/account/password", data={"current_password": "charge-test-pass",
                                                      "new_password": "a-new-long-passphrase-9",
                                                      "confirm_password": "a-new-long-passphrase-9"})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    admin = factory.user(role="admin", email="admin@example.com")
    roles.suspend(admin, driver)
    run_jobs()
    assert inbox.subjects() == ["Chargeway: Password changed", "Chargeway: Account suspended"]
    assert " UTC" in inbox.messages[0][1].get_content()  # no booking yet: no station clock to use


def test_a_temporary_smtp_failure_is_retried_and_sent_once(driver, run_jobs, inbox):
    inbox.answers = ["451 4.3.0 Try again later", "421 4.3.2 Service not available"]
    notifications.notify(driver.id, "payment_failed", "Payment failed", "Your card was declined.")
    run_jobs()
    assert inbox.subjects() == ["Chargeway: Payment failed"]
    run_jobs()
    assert len(inbox.messages) == 1


def test_a_permanent_refusal_is_recorded_and_not_retried(driver, run_jobs, inbox):
    inbox.answers = ["550 5.1.1 No such mailbox"]
    notifications.notify(driver.id, "payment_failed", "Payment failed", "Your card was declined.")
    run_jobs()
    assert inbox.messages == [] and inbox.answers == []
    [delivery] = db.session.execute(select(NotificationDelivery)).scalars()
    assert delivery.status == "failed" and "550" in delivery.detail


class TestMailDir:
    @pytest.fixture
    def app_overrides(self, tmp_path):
        return {"MAIL_DIR": str(tmp_path / "mail")}

    def test_without_a_server_each_mail_is_an_eml_file(self, driver, run_jobs, tmp_path):
        notifications.notify(driver.id, "balance_waived", "Balance waived", "₹120.00 you owed was waived: goodwill",
                             link="/account/balance")
        notifications.notify(driver.id, "charging_started", "Charging started", "email is off for this kind")
        run_jobs()
        [path] = (tmp_path / "mail").glob("*.eml")
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        assert message["To"] == "driver@example.com" and message["Subject"] == "Chargeway: Balance waived"
        assert "₹120.00 you owed was waived" in message.get_content()
        assert not list((tmp_path / "mail").glob(".*"))  # no half-written file left behind
