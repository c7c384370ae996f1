"""The users and refund forms: a bad input is shown next to its field (422) and changes nothing."""
from webapp.extensions import db
from webapp.models import AuditLog, User
from webapp.services.money import ledger


def test_a_station_id_that_is_not_a_number_is_refused_on_its_field(admin_client, world):
    response = admin_client.post(f"/admin/users/{world.operator.id}/stations", data={"station_ids": ["1; DROP", "2"]})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="f-station_ids-error"' in html
    assert "Choose stations from the list" in html
    assert [s.id for s in db.session.get(User, world.operator.id).stations] == [world.station.id]


def test_a_bad_role_is_shown_next_to_the_role_select(admin_client, world):
    response = admin_client.post(f"/admin/users/{world.driver.id}/role", data={"role": "overlord"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'aria-describedby="f-role-error"' in html
    assert db.session.get(User, world.driver.id).role == "driver"


def test_a_too_long_waiver_reason_keeps_what_was_typed(admin_client, world):
    ledger.add("owed:waive-form", world.driver.id, "owed", 800, "INR", reason="capture failed")
    db.session.commit()
    response = admin_client.post(f"/admin/users/{world.driver.id}/balance/waive", data={"reason": "x" * 151})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="f-reason-error"' in html and "x" * 151 in html
    assert ledger.outstanding(world.driver.id) == 800


def test_a_refund_over_the_limit_is_refused_on_the_amount_with_the_typed_values(operator_client, world):
    response = operator_client.post(f"/admin/payments/{world.capture.id}/refund",
                                    data={"amount": "31", "reason": "too much", "idempotency_key": "b" * 32})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="f-amount-error"' in html and "between 0.01 and 30.00" in html
    assert 'value="31"' in html and 'value="too much"' in html and 'value="' + "b" * 32 + '"' in html
    assert db.session.execute(db.select(AuditLog).where(AuditLog.action == "payment.refund")).first() is None
