"""The installable shell on a phone: the service worker takes control, pages fall back to the offline
page without a network, and every driver page fits 360-414 px without sideways scrolling."""
import pytest
from playwright.sync_api import expect

from .steps import find_and_book, register


def test_service_worker_controls_the_app_and_serves_the_offline_page(phone, shots, charger):
    page = phone
    page.goto("/")
    script = page.evaluate("navigator.serviceWorker.ready.then(r => r.active.scriptURL)")
    assert script.endswith("/sw.js")
    page.reload()
    assert page.evaluate("navigator.serviceWorker.controller !== null")
    caches = page.evaluate("caches.keys()")
    assert any(name.startswith("chargeway-static-") for name in caches)
    manifest = page.evaluate("fetch(document.querySelector('link[rel=manifest]').href).then(r => r.json())")
    assert manifest["display"] == "standalone" and len(manifest["icons"]) == 4
    page.context.set_offline(True)
    try:
        page.goto("/history")
        expect(page.get_by_role("heading", name="You are offline")).to_be_visible()
        shots(page, "offline")
    finally:
        page.context.set_offline(False)
    page.goto("/")
    expect(page.get_by_role("heading", name="Find a charger")).to_be_visible()


@pytest.mark.parametrize("width", [360, 414])
def test_pages_fit_small_phones(browser, live_server, charger, shots, width):
    context = browser.new_context(**{**browser.pixel_7, "viewport": {"width": width, "height": 780}},
                                  base_url=live_server.url)
    try:
        page = context.new_page()
        register(page, shots)
        find_and_book(page, shots)
        for url in ("/", "/stations/1", page.url, "/charge", "/scan", "/history", "/notifications", "/no-such-page"):
            page.goto(url)
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{url} scrolls sideways by {overflow}px at {width}px"
            small = page.evaluate("""[...document.querySelectorAll('main button, main .button, main input[type=radio], header nav a, header nav button')]
                .map(e => e.type === 'radio' ? (e.closest('label') || e) : e)
                .filter(e => e.offsetParent && e.getBoundingClientRect().height < 40).map(e => e.outerHTML)""")
            assert small == [], f"{url}: controls too small to tap: {small}"
        shots(page, f"fits-{width}")
    finally:
        context.close()
