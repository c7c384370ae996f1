"""Operator refunds are idempotent per submission and read "0.10" and "0,10" as ten paise (issue 10 point 9);
staff waive an outstanding balance with a reason, audited (point 2)."""
import re

import pytest

from webapp.extensions import db
from webapp.models import AuditLog, Booking, Payment
from webapp.money import parse_money
from webapp.services.money import ledger, payments
from webapp.services.errors import InvalidInput
from webapp.timeutil import utcnow


def form_key(page: str) -> str:
    return re.search(r'name="idempotency_key" value="([0-9a-f]+)"', page).group(1)


def test_double_submit_of_the_refund_form_refunds_once(operator_client, world):
    page = operator_client.get(f"/admin/payments/{world.capture.id}").get_data(as_text=True)
    form = {"amount": "5", "reason": "short delivery", "idempotency_key": form_key(page)}
    url = f"/admin/payments/{world.capture.id}/refund"
    first = operator_client.post(url, data=form, follow_redirects=True)
    second = operator_client.post(url, data=form, follow_redirects=True)
    assert "Refunded 5.00 INR" in first.get_data(as_text=True)
    assert second.status_code == 200 and "already" in second.get_data(as_text=True)
    refunds = db.session.execute(db.select(Payment).where(Payment.reason == "dispute: short delivery")).scalars().all()
    assert [r.amount for r in refunds] == [500]
    db.session.refresh(world.booking)
    assert world.booking.amount_refunded == 2000 + 500
    assert len(db.session.execute(db.select(AuditLog).where(AuditLog.action == "payment.refund")).all()) == 1
    fresh = operator_client.get(f"/admin/payments/{world.capture.id}").get_data(as_text=True)
    assert form_key(fresh) != form["idempotency_key"]  # the next submission is a new refund


@pytest.mark.parametrize("typed", ["0.10", "0,10", " 0.1 "])
def test_ten_paise_is_ten_paise(operator_client, world, typed):
    page = operator_client.get(f"/admin/payments/{world.capture.id}").get_data(as_text=True)
    operator_client.post(f"/admin/payments/{world.capture.id}/refund",
                         data={"amount": typed, "reason": "rounding", "idempotency_key": form_key(page)})
    refund = db.session.execute(db.select(Payment).where(Payment.reason == "dispute: rounding")).scalar_one()
    assert refund.amount == 10


def test_an_ambiguous_amount_is_refused_on_its_field(operator_client, world):
    page = operator_client.get(f"/admin/payments/{world.capture.id}").get_data(as_text=True)
    response = operator_client.post(f"/admin/payments/{world.capture.id}/refund",
                                    data={"amount": "1,234", "reason": "x", "idempotency_key": form_key(page)})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'aria-invalid="true"' in html and "ambiguous" in html
    assert db.session.execute(db.select(Payment).where(Payment.reason == "dispute: x")).first() is None


@pytest.mark.parametrize("typed, minor", [("12", 1200), ("0.10", 10), ("0,10", 10), ("12.5", 1250), ("1,234.50", 123450),
                                          ("1.234,50", 123450), ("1,23,456", 12345600), ("₹ 18.00", 1800)])
def test_parse_money(typed, minor):
    assert parse_money(typed) == minor


@pytest.mark.parametrize("typed", ["1,234", "1.234", "0.101", "-5", "abc", "1,2,3.4.5", "1.234.56"])
def test_parse_money_refuses(typed):
    with pytest.raises(InvalidInput):
        parse_money(typed)


def test_admin_waives_a_balance_with_a_reason(admin_client, world):
    booking = Booking(user_id=world.other_driver.id, connector_id=world.connector.id, status="FINISHING",
                      currency="INR", hold_expires_at=utcnow(), quota_kwh=5)
    db.session.add(booking)
    db.session.flush()
    payments.authorise(booking, 4000, "card", "4000 0000 0000 0341", f"auth-x-{booking.id}")
    booking.status = "COMPLETED"
    payments.settle(booking, 2500)
    db.session.commit()
    user_id = world.other_driver.id
    assert ledger.outstanding(user_id) == 2500
    page = admin_client.get(f"/admin/users/{user_id}").get_data(as_text=True)
    assert 'id="balance"' in page and "₹25.00" in page
    refused = admin_client.post(f"/admin/users/{user_id}/balance/waive", data={"reason": ""})
    assert refused.status_code == 422 and ledger.outstanding(user_id) == 2500
    done = admin_client.post(f"/admin/users/{user_id}/balance/waive", data={"reason": "charger fault, goodwill"},
                             follow_redirects=True)
    assert "Waived ₹25.00" in done.get_data(as_text=True)
    assert ledger.outstanding(user_id) == 0
    entry = db.session.execute(db.select(AuditLog).where(AuditLog.action == "balance.waive")).scalar_one()
    assert entry.before == {"outstanding": 2500} and entry.after["outstanding"] == 0
    assert entry.after["reason"] == "charger fault, goodwill" and entry.user_id == world.admin.id
