"""The API's booking changes are audited by the same services as the app's: the token's driver, via "api"."""
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import AuditLog

from .conftest import assert_error


def actions(booking_id):
    db.session.expire_all()
    return [(e.action, e.user_id, e.via) for e in db.session.execute(
        select(AuditLog).where(AuditLog.target_type == "booking", AuditLog.target_id == str(booking_id))
        .order_by(AuditLog.id)).scalars()]


def test_hold_and_cancel_through_the_api(client, driver, charger, bearer):
    headers = bearer(driver)
    booking_id = client.post("/api/bookings", headers=headers, json={"charger_id": "CP-API-1", "connector_id": 1}
                             ).get_json()["id"]
    assert client.delete(f"/api/bookings/{booking_id}", headers=headers).status_code == 200
    assert actions(booking_id) == [("booking.hold", driver.id, "api"), ("booking.cancel", driver.id, "api")]
    assert_error(client.delete(f"/api/bookings/{booking_id}", headers=headers), 409)  # refused: nothing written
    assert len(actions(booking_id)) == 2


def test_start_through_the_api(client, driver, confirmed, bearer, monkeypatch):
    from webapp.services.platform import commands

    monkeypatch.setattr(commands, "remote_start", lambda cp_id, connector_id, id_tag: True)
    response = client.post("/api/charging/start", headers=bearer(driver), json={"charger_id": "CP-API-1",
                                                                                "connector_id": 1})
    assert response.status_code == 200
    assert actions(confirmed.id)[-1] == ("booking.start", driver.id, "api")
    entry = db.session.execute(select(AuditLog).where(AuditLog.action == "booking.start")).scalar_one()
    assert entry.after["charger"] == "CP-API-1" and entry.after["connector"] == 1
