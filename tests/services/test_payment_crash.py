"""The gateway is never called inside an open database transaction (issue 10 point 8): the pending payment row
is committed first, the gateway is called with no transaction open, the outcome is recorded after; a crash
before or after the gateway call leaves a pending row that the reconciliation job finishes exactly once. The
simulated gateway remembers idempotency keys in the database, so a second process answers the same."""
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, func, select, text

from webapp.extensions import db
from webapp.models import AuditLog, Booking, Payment
from webapp.services.booking import bookings
from webapp.services.charging import transactions
from webapp.services.fleet import chargers
from webapp.services.money import gateway, ledger, payments, reconcile
from webapp.services.platform import audit
from webapp.services.errors import Conflict
from webapp.timeutil import utcnow


class Crash(BaseException):
    """The process dies here (BaseException: nothing on the way catches it)."""


@pytest.fixture
def finishing(factory):
    """A booking paid by card (₹218.00 for 10 kWh) that charged 5 kWh (₹110.00) and is FINISHING."""
    charger = factory.charger(cp_id="CP-PAY-1")
    driver = factory.user()
    booking = bookings.place_hold(driver, charger.connectors[0].id)
    bookings.pay(driver, booking.id, 10, "card", "4242424242424242", "pay-key-1")
    tx, _ = transactions.start("CP-PAY-1", 1, driver.id_tag, 0, utcnow())
    chargers.status_notification("CP-PAY-1", 1, "Charging", "NoError", utcnow())
    transactions.stop("CP-PAY-1", tx, 5000, utcnow(), "Local")
    chargers.status_notification("CP-PAY-1", 1, "Finishing", "NoError", utcnow())
    db.session.commit()
    return booking.id


def connector_freed():
    chargers.status_notification("CP-PAY-1", 1, "Available", "NoError", utcnow())
    db.session.commit()


def other_connection_sees(key: str) -> str | None:
    """The payment's status as another process sees it (committed data only)."""
    engine = create_engine(db.engine.url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT status FROM payments WHERE idempotency_key = :k"), {"k": key}).scalar()
    finally:
        engine.dispose()


def gateway_keys() -> int:
    return db.session.execute(text("SELECT count(*) FROM gateway_records")).scalar_one()


def test_pending_row_is_committed_and_no_transaction_is_open_during_the_call(app, finishing, monkeypatch):
    seen = []
    real = gateway.SimulatedGateway.capture

    def spy(self, auth_ref, amount, key):
        seen.append((db.session().in_transaction(), other_connection_sees(key)))
        return real(self, auth_ref, amount, key)

    monkeypatch.setattr(gateway.SimulatedGateway, "capture", spy)
    connector_freed()
    assert seen == [(False, "pending")]
    assert db.session.get(Booking, finishing).amount_captured == 11000


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_crash_around_the_gateway_call_is_finished_once_by_reconciliation(app, finishing, monkeypatch, when):
    real = gateway.SimulatedGateway.capture

    def crashing(self, auth_ref, amount, key):
        if when == "after":
            real(self, auth_ref, amount, key)  # the gateway captured; we die before recording it
        raise Crash()

    monkeypatch.setattr(gateway.SimulatedGateway, "capture", crashing)
    with pytest.raises(Crash):
        connector_freed()
    db.session.rollback()
    db.session.remove()
    key = f"booking-{finishing}-capture"
    assert other_connection_sees(key) == "pending"
    monkeypatch.setattr(gateway.SimulatedGateway, "capture", real)  # the process restarted
    assert reconcile.finish_pending() == 0  # too fresh: its request may still be running
    later = utcnow() + timedelta(seconds=app.config["PAYMENT_RECONCILE_AFTER_SECONDS"] + 1)
    with audit.acting_as(None, "job"):
        assert reconcile.finish_pending(now=later) == 1
        assert reconcile.finish_pending(now=later) == 0  # exactly once
    [entry] = db.session.execute(select(AuditLog).where(AuditLog.action == "payment.reconcile")).scalars()
    assert (entry.via, entry.user_id, entry.before, entry.after["status"]) == ("job", None, {"status": "pending"},
                                                                               "succeeded")
    booking = db.session.get(Booking, finishing)
    db.session.refresh(booking)
    assert booking.status == "COMPLETED"
    assert (booking.amount_captured, booking.amount_refunded) == (11000, 21800 - 11000)
    rows = db.session.execute(select(Payment.kind, Payment.status).where(Payment.booking_id == finishing)
                              .order_by(Payment.id)).all()
    assert rows == [("authorise", "succeeded"), ("capture", "succeeded"), ("refund", "succeeded")]
    assert ledger.outstanding(booking.user_id) == 0
    assert db.session.execute(text("SELECT count(*) FROM gateway_records WHERE key = :k"),
                              {"k": key}).scalar_one() == 1


def test_the_simulated_gateway_remembers_keys_in_the_database(app):
    first = gateway.get().authorise(5000, "INR", "card", "4242424242424242", "mem-key-1")
    other_process = gateway.SimulatedGateway()  # a second worker: no shared Python memory
    again = other_process.authorise(5000, "INR", "card", "4000000000000002", "mem-key-1")
    assert again == first and again.ok
    assert other_process.lookup("mem-key-1") == first and other_process.lookup("never-sent") is None
    assert gateway_keys() == 1


def test_two_pays_of_one_booking_at_once_authorise_once(app, factory, monkeypatch):
    charger = factory.charger(cp_id="CP-PAY-2")
    driver = factory.user()
    booking_id = bookings.place_hold(driver, charger.connectors[0].id).id
    driver_id = driver.id
    db.session.commit()
    real = gateway.SimulatedGateway.authorise

    def slow(self, *args):
        time.sleep(0.3)  # both requests are past their checks before either answer comes back
        return real(self, *args)

    monkeypatch.setattr(gateway.SimulatedGateway, "authorise", slow)
    barrier = threading.Barrier(2)
    outcomes = []

    def attempt(key):
        with app.app_context():
            from webapp.models import User

            user = db.session.get(User, driver_id)
            db.session.commit()
            barrier.wait()
            try:
                outcomes.append(bookings.pay(user, booking_id, 10, "card", "4242424242424242", key).status)
            except Conflict as exc:
                outcomes.append(exc.message)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=(f"race-key-{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(outcomes) == 2 and "CONFIRMED" in outcomes, outcomes
    authorised = db.session.execute(select(func.count()).select_from(Payment).where(
        Payment.booking_id == booking_id, Payment.kind == "authorise", Payment.status == "succeeded")).scalar_one()
    assert authorised == 1
    assert gateway_keys() == 1  # the loser never reached the gateway


def test_a_hold_that_expired_while_the_gateway_answered_is_voided(app, factory, monkeypatch):
    charger = factory.charger(cp_id="CP-PAY-3")
    driver = factory.user()
    booking = bookings.place_hold(driver, charger.connectors[0].id)
    real = gateway.SimulatedGateway.authorise

    def meanwhile(self, *args):
        # the hold runs out while the bank thinks (nothing holds the booking row during the call)
        db.session.execute(text("UPDATE bookings SET hold_expires_at = :t WHERE id = :id"),
                           {"t": utcnow() - timedelta(seconds=1), "id": booking.id})
        db.session.commit()
        return real(self, *args)

    monkeypatch.setattr(gateway.SimulatedGateway, "authorise", meanwhile)
    with pytest.raises(Conflict, match="expired"):
        bookings.pay(driver, booking.id, 10, "card", "4242424242424242", "late-key-1")
    db.session.expire_all()
    booking = db.session.get(Booking, booking.id)
    assert booking.status == "EXPIRED"
    assert [(p.kind, p.status) for p in booking.payments] == [("authorise", "succeeded"), ("void", "succeeded")]


def test_settle_twice_changes_nothing(app, finishing):
    connector_freed()
    booking = db.session.get(Booking, finishing)
    before = [(p.kind, p.amount, p.status) for p in booking.payments]
    payments.settle(booking, booking.amount_due)
    db.session.commit()
    db.session.expire_all()
    booking = db.session.get(Booking, finishing)
    assert [(p.kind, p.amount, p.status) for p in booking.payments] == before
    assert (booking.amount_captured, booking.amount_refunded) == (11000, 10800)


def test_paying_holds_no_lock_and_no_transaction_while_the_bank_answers(app, factory, monkeypatch):
    charger = factory.charger(cp_id="CP-PAY-4")
    driver = factory.user()
    booking = bookings.place_hold(driver, charger.connectors[0].id)
    seen = []
    real = gateway.SimulatedGateway.authorise

    def spy(self, amount, currency, method, details, key):
        seen.append((db.session().in_transaction(), other_connection_sees(key)))
        return real(self, amount, currency, method, details, key)

    monkeypatch.setattr(gateway.SimulatedGateway, "authorise", spy)
    assert bookings.pay(driver, booking.id, 10, "card", "4242424242424242", "nolock-key-1").status == "CONFIRMED"
    assert seen == [(False, "pending")]
