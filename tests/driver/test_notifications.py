"""The notification centre: every event the driver cares about, an unread badge in the nav, read marks."""
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Notification
from webapp.services.fleet import qr
from webapp.services.platform import notifications

from .conftest import confirmed_booking, hold, pay
from .flow import meter, start_tx, status, stop_tx
from .pages import text

EXPECTED = {"hold_expiring", "hold_expired", "booking_confirmed", "charging_started", "quota_reached",
            "charging_complete", "payment_captured", "payment_refunded", "payment_failed", "charger_fault"}


def test_every_driver_event_lands_in_the_centre(client, driver, charger, clock, link, run_jobs):
    first = hold(client, charger.connectors[0])
    run_jobs(clock.now)  # hold warning
    clock.advance(minutes=8, seconds=30)
    run_jobs(clock.now)
    clock.advance(minutes=2)
    run_jobs(clock.now)  # hold expired
    booking_id = hold(client, charger.connectors[0])
    pay(client, booking_id, details="4000 0000 0000 0002")  # payment failed
    pay(client, booking_id, quota="5")  # booking confirmed
    client.post(f"/c/{qr.token_for(charger.connectors[0])}/start")
    tx = start_tx(driver.id_tag)  # charging started
    clock.advance(minutes=15)
    meter(tx, 1_005_100, 22000)  # quota reached
    run_jobs(clock.now)
    stop_tx(tx, 1_005_100)  # charging complete
    status("Available")  # payment captured + refunded
    confirmed_booking(client, charger.connectors[1])
    status("Faulted", connector=2, error="GroundFailure")  # charger fault
    kinds = set(db.session.execute(select(Notification.kind).where(Notification.user_id == driver.id)).scalars())
    assert EXPECTED <= kinds, EXPECTED - kinds
    page = text(client.get("/notifications").get_data(as_text=True))
    for title in ("Hold about to expire", "Hold expired", "Booking confirmed", "Charging started", "Quota reached",
                  "Charging complete", "Payment captured", "Refunded", "Payment failed", "Charger fault"):
        assert title in page, title
    assert first


def test_unread_badge_open_and_mark_all_read(client, driver, factory):
    for n in range(3):
        notifications.notify(driver.id, "info", f"Note {n}", "body", link="/history")
    db.session.commit()
    html = client.get("/").get_data(as_text=True)
    assert 'aria-label="Notifications, 3 unread"' in html and 'data-unread="3"' in html
    note = db.session.execute(select(Notification).where(Notification.title == "Note 1")).scalar_one()
    response = client.post(f"/notifications/{note.id}")
    assert response.status_code == 303 and response.headers["Location"] == "/history"
    assert 'data-unread="2"' in client.get("/").get_data(as_text=True)
    client.post("/notifications/read")
    html = client.get("/notifications").get_data(as_text=True)
    assert "data-unread" not in html and 'aria-label="Notifications"' in html
    assert html.count('class="card note read"') == 3


def test_someone_elses_notification_is_404(client, driver, factory):
    other = factory.user(email="other@example.com")
    notifications.notify(other.id, "info", "Private")
    db.session.commit()
    note = db.session.execute(select(Notification)).scalar_one()
    assert client.post(f"/notifications/{note.id}").status_code == 404
    assert "Private" not in client.get("/notifications").get_data(as_text=True)


def test_external_links_are_never_followed(client, driver):
    notifications.notify(driver.id, "info", "Phish", link="//evil.example/x")
    db.session.commit()
    note = db.session.execute(select(Notification)).scalar_one()
    assert client.post(f"/notifications/{note.id}").headers["Location"] == "/notifications"
