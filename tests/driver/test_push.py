"""Web Push end to end: the driver's browser subscribes from the preferences page, a notification goes out
from a job through pywebpush to a push service running in this test, which decrypts it with the device's own
keys; gone subscriptions are removed, a push service that fails for a while is retried."""
import re
from datetime import timedelta

import pytest
from py_vapid import Vapid
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Notification, NotificationDelivery, PushSubscription
from webapp.services.platform import notifications

from tests.support.webpush import Device, PushService, vapid_claims

from .conftest import hold


def _pem() -> str:
    key = Vapid()
    key.generate_keys()
    return key.private_pem().decode()


VAPID_PEM = _pem()


@pytest.fixture
def push_service():
    service = PushService()
    yield service
    service.stop()


@pytest.fixture
def app_overrides(push_service):
    return {"VAPID_PRIVATE_KEY": VAPID_PEM, "PUSH_SERVICE_HOSTS": (push_service.url,),
            "VAPID_SUBJECT": "mailto:ops@chargeway.test", "JOB_RETRY_INTERVALS": (0,), "JOB_RETRY_MAX": 3}


def subscribe(client, device: Device, agent="Pixel 7 Chrome"):
    response = client.post("/account/notifications/devices", json=device.subscription(),
                           headers={"User-Agent": agent})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def application_server_key(client) -> str:
    page = client.get("/account/notifications").get_data(as_text=True)
    return re.search(r'data-vapid-key="([^"]+)"', page).group(1)


def ticked(page: str, name: str) -> bool:
    [tag] = re.findall(rf'<input[^>]*name="{name}"[^>]*>', page)
    return " checked" in tag


def deliveries(note_id=None):
    query = select(NotificationDelivery.target, NotificationDelivery.status)
    if note_id is not None:
        query = query.where(NotificationDelivery.notification_id == note_id)
    return sorted(db.session.execute(query.order_by(NotificationDelivery.id)).all())


def test_the_hold_warning_reaches_the_phone_encrypted_with_the_station_time_and_its_page(
        client, driver, charger, clock, link, run_jobs, push_service):
    phone = Device(push_service, "phone")
    subscribe(client, phone)
    key = application_server_key(client)
    booking_id = hold(client, charger.connectors[0])
    run_jobs(clock.now)
    assert push_service.messages == []  # placing a hold tells the driver nothing yet
    clock.advance(minutes=8, seconds=30)
    run_jobs(clock.now)  # the hold warning, then its push job
    [message] = push_service.to(phone.path)
    payload = phone.read(message)
    expires = db.session.get(Notification, db.session.execute(select(Notification.id)).scalar_one())
    assert payload["title"] == "Hold about to expire"
    assert re.search(r"\(by \d\d:\d\d IST\)", payload["body"]), payload["body"]  # Asia/Kolkata, zone shown
    assert payload["url"] == f"/bookings/{booking_id}" and payload["action"] == "Open the booking"
    assert payload["tag"] == f"note-{expires.id}"
    claims = vapid_claims(message, key)
    assert claims["aud"] == push_service.url and claims["sub"] == "mailto:ops@chargeway.test"
    assert message.headers["ttl"] == "900" and message.headers["urgency"] == "high"
    assert deliveries() == [(f"sub:{db.session.execute(select(PushSubscription.id)).scalar_one()}", "sent")]
    run_jobs(clock.now + timedelta(seconds=1))
    assert len(push_service.to(phone.path)) == 1  # sent once


def test_a_subscription_the_push_service_says_is_gone_is_removed(client, driver, run_jobs, push_service):
    phone, old, lost = Device(push_service, "phone"), Device(push_service, "old"), Device(push_service, "lost")
    for device in (phone, old, lost):
        subscribe(client, device)
    push_service.answers[old.path] = [410]
    push_service.answers[lost.path] = [404]
    notifications.notify(driver.id, "charging_started", "Charging started", "Connector 1 is charging.",
                         link="/bookings/1/live")
    run_jobs()
    db.session.expire_all()
    left = db.session.execute(select(PushSubscription.endpoint)).scalars().all()
    assert left == [phone.endpoint]
    assert [status for _, status in deliveries()] == ["sent", "gone", "gone"]
    page = client.get("/account/notifications").get_data(as_text=True)
    assert page.count("data-device=") == 1
    notifications.notify(driver.id, "charging_started", "Charging started", "again", link="/bookings/2/live")
    run_jobs()
    assert len(push_service.to(old.path)) == 1 and len(push_service.to(lost.path)) == 1  # never again
    assert len(push_service.to(phone.path)) == 2


def test_a_push_service_error_is_retried_without_sending_twice_to_the_others(client, driver, run_jobs, push_service):
    phone, tablet = Device(push_service, "phone"), Device(push_service, "tablet")
    subscribe(client, phone)
    subscribe(client, tablet)
    push_service.answers[phone.path] = [503, 500]
    notifications.notify(driver.id, "overstay", "Please move your car", "Idle fees apply.", link="/bookings/3/live")
    run_jobs()  # the job raises, the scheduler retries it (JOB_RETRY_INTERVALS: at once)
    assert [m.answered for m in push_service.to(phone.path)] == [503, 500, 201]
    assert len(push_service.to(tablet.path)) == 1
    assert phone.read(push_service.to(phone.path)[-1])["title"] == "Please move your car"
    assert [status for _, status in deliveries()] == ["sent", "sent"]


def test_a_push_service_that_stays_down_is_given_up_after_the_retries(client, driver, run_jobs, push_service):
    phone = Device(push_service, "phone")
    subscribe(client, phone)
    push_service.answers[phone.path] = [502] * 10
    notifications.notify(driver.id, "overstay", "Please move your car", "Idle fees apply.")
    run_jobs()
    assert len(push_service.to(phone.path)) == 4  # the first try and JOB_RETRY_MAX retries
    assert deliveries() == []
    assert db.session.execute(select(PushSubscription)).scalar_one()  # a server error is not a gone device


def test_a_refusal_other_than_gone_is_recorded_and_not_retried(client, driver, run_jobs, push_service):
    phone = Device(push_service, "phone")
    subscribe(client, phone)
    push_service.answers[phone.path] = [413]
    notifications.notify(driver.id, "overstay", "Please move your car", "Idle fees apply.")
    run_jobs()
    assert len(push_service.to(phone.path)) == 1
    assert [status for _, status in deliveries()] == ["failed"]


def test_push_off_for_a_kind_sends_nothing_and_in_app_off_hides_it(client, driver, run_jobs, push_service):
    phone = Device(push_service, "phone")
    subscribe(client, phone)
    form = {"save": "1"}
    form.update({f"{k}__{c}": "y" for k in ("hold_expiring", "charging_started", "quota_reached", "exit_grace",
                                              "overstay", "receipt", "payment_problems", "booking_changes", "account")
                 for c in ("in_app", "push", "email")})
    del form["overstay__push"], form["charging_started__in_app"]
    assert client.post("/account/notifications", data=form).status_code == 303
    page = client.get("/account/notifications").get_data(as_text=True)
    assert not ticked(page, "overstay__push") and ticked(page, "overstay__in_app")
    assert not ticked(page, "charging_started__in_app") and ticked(page, "charging_started__push")
    notifications.notify(driver.id, "overstay", "Please move your car", "Idle fees apply.")
    notifications.notify(driver.id, "charging_started", "Charging started", "Connector 1 is charging.")
    run_jobs()
    assert [phone.read(m)["title"] for m in push_service.to(phone.path)] == ["Charging started"]
    centre = client.get("/notifications").get_data(as_text=True)
    assert "Please move your car" in centre and "Charging started" not in centre
    assert 'data-unread="1"' in centre


def test_the_preference_turned_off_after_the_job_was_queued_still_wins(client, driver, run_jobs, push_service):
    phone = Device(push_service, "phone")
    subscribe(client, phone)
    notifications.notify(driver.id, "overstay", "Please move your car", "Idle fees apply.")
    db.session.commit()
    from webapp.services.platform import preferences

    wanted = {key: on for key, on in preferences.choices(driver.id).items()}
    wanted[("overstay", "push")] = False
    preferences.save(driver.id, wanted)
    run_jobs()
    assert push_service.messages == []


@pytest.mark.parametrize("subscription, message", [
    ({"endpoint": "http://10.0.0.5/internal", "p256dh": "x", "auth": "y"}, "not one we send to"),
    ({"endpoint": "https://evil.example/push", "p256dh": "x", "auth": "y"}, "not one we send to"),
    ({"endpoint": "", "p256dh": "x", "auth": "y"}, "no push endpoint"),
    ({"endpoint": 5, "p256dh": "x", "auth": "y"}, "no push endpoint"),
    ({"endpoint": "https://fcm.googleapis.com/fcm/send/x", "p256dh": {"x": 1}, "auth": "y"}, "no public key"),
])
def test_an_endpoint_we_do_not_send_to_is_refused(client, driver, subscription, message):
    response = client.post("/account/notifications/devices", json=subscription)
    assert response.status_code in (400, 422) and message in response.get_json()["error"]["message"]
    assert db.session.execute(select(PushSubscription)).first() is None


def test_bad_keys_are_refused(client, driver, push_service):
    device = Device(push_service, "phone")
    response = client.post("/account/notifications/devices", json={**device.subscription(), "auth": "c2hvcnQ"})
    assert response.status_code == 422 and "auth secret has the wrong length" in response.get_json()["error"]["message"]


def test_the_service_worker_renews_a_changed_subscription_with_its_token(app, client, driver, run_jobs, push_service):
    old, new = Device(push_service, "old"), Device(push_service, "new")
    token = subscribe(client, old)["renew_token"]
    worker = app.test_client()  # the service worker: no session, no CSRF token
    response = worker.post("/push/renew", json={"token": token, **new.subscription()})
    assert response.status_code == 200 and response.get_json()["renew_token"] != token
    db.session.expire_all()
    assert db.session.execute(select(PushSubscription.endpoint)).scalars().all() == [new.endpoint]
    assert db.session.execute(select(PushSubscription.user_id)).scalar_one() == driver.id
    again = worker.post("/push/renew", json={"token": token, **Device(push_service, "x").subscription()})
    assert again.status_code == 404  # the old token's subscription was replaced
    forged = worker.post("/push/renew", json={"token": token[:-3] + "abc", **new.subscription()})
    assert forged.status_code == 400
    notifications.notify(driver.id, "overstay", "Please move your car", "Idle fees apply.")
    run_jobs()
    assert len(push_service.to(new.path)) == 1 and push_service.to(old.path) == []


def test_logging_out_forgets_this_browser_s_device_only(client, driver, factory, push_service):
    from webapp.services.platform import push

    phone, laptop = Device(push_service, "phone"), Device(push_service, "laptop")
    push.subscribe(driver.id, laptop.endpoint, laptop.p256dh, laptop.auth)  # subscribed in another browser
    subscribe(client, phone)
    client.post("/logout")
    db.session.expire_all()
    assert db.session.execute(select(PushSubscription.endpoint)).scalars().all() == [laptop.endpoint]


def test_saving_preferences_is_audited(client, driver):
    from webapp.models import AuditLog

    client.post("/account/notifications", data={"save": "1", "overstay__in_app": "y"})
    entry = db.session.execute(select(AuditLog).where(AuditLog.action == "user.notification_preferences")).scalar_one()
    assert entry.after["changed"]["overstay.push"] is False and entry.after["changed"]["receipt.email"] is False
    assert entry.before == {"changed": {}} and entry.via == "app" and entry.user_id == driver.id


def test_removing_a_device_and_someone_elses_device(client, driver, factory, push_service):
    phone = Device(push_service, "phone")
    sub_id = subscribe(client, phone)["id"]
    other = factory.user(email="other@example.com")
    assert client.post(f"/account/notifications/devices/{sub_id}/delete").status_code == 303
    assert db.session.execute(select(PushSubscription)).first() is None
    from webapp.services.platform import push

    theirs = push.subscribe(other.id, Device(push_service, "theirs").endpoint, phone.p256dh, phone.auth)
    client.post(f"/account/notifications/devices/{theirs.id}/delete")
    assert db.session.get(PushSubscription, theirs.id) is not None


def test_the_service_worker_shows_pushes_and_opens_their_page(client, driver):
    sw = client.get("/sw.js").get_data(as_text=True)
    for needle in ('addEventListener("push"', 'addEventListener("notificationclick"',
                   'addEventListener("pushsubscriptionchange"', "showNotification", "openWindow", "/push/renew"):
        assert needle in sw, needle
    assert f'const PUSH_KEY = "{application_server_key(client)}"' in sw
    page = client.get("/account/notifications").get_data(as_text=True)
    assert "data-push-enable hidden" in page and "js/push.js" in page


class TestOnRQ:
    """Production's path: the push job is an RQ job with RQ's Retry, run by a real worker (the test worker's own
    Redis database, tests/conftest.py REDIS_URL)."""

    @pytest.fixture
    def app_overrides(self, push_service):
        from tests.conftest import REDIS_URL, _reachable, need

        if not _reachable("127.0.0.1", 6379):
            need("Redis on 127.0.0.1:6379")
        return {"VAPID_PRIVATE_KEY": VAPID_PEM, "PUSH_SERVICE_HOSTS": (push_service.url,),
                "REDIS_URL": REDIS_URL, "JOB_RETRY_INTERVALS": (0,), "JOB_RETRY_MAX": 2}

    def test_the_rq_worker_retries_a_failed_push(self, client, driver, redis, push_service):
        from rq import Queue, SimpleWorker
        from rq.registry import FailedJobRegistry

        from webapp.services.platform import timers

        phone = Device(push_service, "phone")
        subscribe(client, phone)
        push_service.answers[phone.path] = [503]
        notifications.notify(driver.id, "overstay", "Please move your car", "Idle fees apply.")
        db.session.commit()
        assert push_service.messages == []  # never from the request: the job sends it
        queue = Queue(timers.QUEUE_NAME, connection=redis)
        SimpleWorker([queue], connection=redis).work(burst=True, with_scheduler=True)
        assert [m.answered for m in push_service.to(phone.path)] == [503, 201]
        assert phone.read(push_service.to(phone.path)[-1])["title"] == "Please move your car"
        assert FailedJobRegistry(queue=queue).count == 0
        db.session.rollback()
        assert [status for _, status in deliveries()] == ["sent"]


class TestWithCSRF:
    """As in production: the page's CSRF token travels in X-CSRFToken (static/js/push.js); without it, 400."""

    @pytest.fixture
    def app_overrides(self, push_service):
        return {"VAPID_PRIVATE_KEY": VAPID_PEM, "PUSH_SERVICE_HOSTS": (push_service.url,), "WTF_CSRF_ENABLED": True}

    def test_subscribing_needs_the_page_token(self, client, factory, push_service):
        user = factory.user(email="csrf@example.com")
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        client.post("/login", data={"email": user.email, "password": "charge-test-pass", "csrf_token": token})
        device = Device(push_service, "phone")
        assert client.post("/account/notifications/devices", json=device.subscription()).status_code == 400
        page = client.get("/account/notifications").get_data(as_text=True)
        token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        response = client.post("/account/notifications/devices", json=device.subscription(),
                               headers={"X-CSRFToken": token})
        assert response.status_code == 201
        renewed = client.post("/push/renew", json={"token": response.get_json()["renew_token"],
                                                   **Device(push_service, "new").subscription()})
        assert renewed.status_code == 200  # the service worker's renewal needs no CSRF token
