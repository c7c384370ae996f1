"""Push on a Pixel 7: the preferences page asks nothing on load, the service worker shows a pushed message
with its action (delivered through the DevTools protocol, as a push service would), and the preferences save."""
import json

import pytest
from playwright.sync_api import expect

from tests.driver.test_push import VAPID_PEM

from .steps import register


@pytest.fixture
def app_overrides():
    return {"WTF_CSRF_ENABLED": True, "VAPID_PRIVATE_KEY": VAPID_PEM}


def test_preferences_page_and_the_service_worker_showing_a_push(phone, shots, live_server):
    page = phone
    register(page, shots)
    page.get_by_role("link", name="Notifications").first.click()
    page.get_by_role("link", name="Notification preferences and push on this device").click()
    expect(page.get_by_role("heading", name="Notification preferences")).to_be_visible()
    expect(page.get_by_role("button", name="Turn on push on this device")).to_be_visible()
    assert page.evaluate("Notification.permission") == "default"  # nothing was asked on load
    shots(page, "preferences")
    page.get_by_role("checkbox", name="Overstay: Push").uncheck()
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_text("Notification preferences saved.")).to_be_visible()
    expect(page.get_by_role("checkbox", name="Overstay: Push")).not_to_be_checked()
    expect(page.get_by_role("checkbox", name="Overstay: Email")).to_be_checked()

    assert page.errors == []
    page.evaluate("navigator.serviceWorker.ready")
    cdp = page.context.new_cdp_session(page)
    registrations = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
    cdp.send("ServiceWorker.enable")
    for _ in range(50):
        if registrations:
            break
        page.wait_for_timeout(100)
    assert registrations, "no service worker registration reported"
    message = {"title": "Hold about to expire", "body": "Pay within 2 min (by 14:32 IST) to keep CP-1 #1.",
               "url": "/bookings/7", "tag": "note-7", "timestamp": 0, "action": "Open the booking"}
    page.context.grant_permissions(["notifications"])
    cdp.send("ServiceWorker.deliverPushMessage", {"origin": live_server.url,
                                                  "registrationId": registrations[0]["registrationId"],
                                                  "data": json.dumps(message)})
    shown = None
    for _ in range(50):  # poll: showNotification runs in the worker
        shown = page.evaluate("""navigator.serviceWorker.ready.then(r => r.getNotifications()).then(ns =>
            ns.map(n => ({title: n.title, body: n.body, url: n.data.url, actions: n.actions.map(a => a.title),
                          tag: n.tag})))""")
        if shown:
            break
        page.wait_for_timeout(100)
    shots(page, "push-shown")
    assert shown == [{"title": "Hold about to expire", "body": message["body"], "url": "/bookings/7",
                      "actions": ["Open the booking"], "tag": "note-7"}]
    assert page.errors == []
