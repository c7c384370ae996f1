"""Paying the balance through the API is audited with the driver as the actor and "api" as the channel."""
from webapp.extensions import db
from webapp.models import AuditLog
from webapp.services.money import ledger


def test_a_balance_paid_through_the_api_is_audited_as_api(client, driver, bearer):
    ledger.add("owed:api-audit", driver.id, "owed", 1500, "INR", reason="capture failed")
    db.session.commit()
    headers = {**bearer(driver), "Idempotency-Key": "audit-key-0001"}
    declined = client.post("/api/balance/pay", headers=headers,
                           json={"payment_method": "card", "payment_details": "4000000000000002"})
    assert declined.status_code == 402
    assert db.session.execute(db.select(AuditLog).where(AuditLog.action == "balance.pay")).first() is None
    paid = client.post("/api/balance/pay", headers={**headers, "Idempotency-Key": "audit-key-0002"},
                       json={"payment_method": "upi", "payment_details": "me@okbank"})
    assert paid.status_code == 200, paid.get_json()
    db.session.commit()
    [entry] = db.session.execute(db.select(AuditLog).where(AuditLog.action == "balance.pay")).scalars()
    assert (entry.user_id, entry.via, entry.target_id) == (driver.id, "api", str(driver.id))
    assert entry.before == {"outstanding": 1500} and entry.after["outstanding"] == 0 and entry.after["amount"] == 1500
