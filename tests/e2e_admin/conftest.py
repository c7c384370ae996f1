"""Console end-to-end: Debian's chromium (Playwright) on a desktop viewport against the live app and the
charger simulator. CSRF is on, as in production. Screenshots land in test-artifacts/e2e_admin/<test>/."""
import re

import pytest
from playwright.sync_api import expect

from tests.conftest import Shots

DESKTOP = {"viewport": {"width": 1440, "height": 900}, "device_scale_factor": 1}

pytestmark = pytest.mark.e2e


@pytest.fixture
def app_overrides():
    return {"WTF_CSRF_ENABLED": True, "HEARTBEAT_INTERVAL": 30, "OCPP_CALL_TIMEOUT": 5.0}


@pytest.fixture(scope="session")
def desktop_browser(chromium):
    """The session's chromium (tests/conftest.py); pages get a desktop viewport."""
    return chromium


@pytest.fixture
def desk(desktop_browser, live_server):
    """A fresh desktop browser context on the live server; page errors are collected in `page.errors`."""
    context = desktop_browser.new_context(**DESKTOP, base_url=live_server.url, accept_downloads=True)
    context.set_default_timeout(15000)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    # Anything our Content-Security-Policy blocked (an inline script, handler or style) is a page error too.
    page.on("console", lambda msg: page.errors.append(msg.text) if "Content Security Policy" in msg.text else None)
    yield page
    context.close()


@pytest.fixture
def shots(request):
    return Shots("e2e_admin", request.node.name)


def answer_confirmation(page, click, accept: bool) -> str:
    """Click `click` (a locator) and answer the confirmation it raises; returns the question asked. Works with
    the shared confirmation component (a <dialog open> with its buttons, merged from polishdriver's branch)
    and, before it, with app.js's window.confirm fallback."""
    asked = []

    def native(dialog):
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", native)
    click.click()
    if not asked:  # no browser confirm(): the component's dialog
        dialog = page.locator("dialog[open]")
        expect(dialog).to_be_visible()
        asked.append(dialog.inner_text())
        if accept:
            buttons = dialog.locator("button")
            yes = buttons.filter(has_text=re.compile(r"^\s*(yes|ok|confirm|continue|reset|send)", re.I))
            (yes.first if yes.count() else buttons.last).click()
        else:
            page.keyboard.press("Escape")
        expect(dialog).to_have_count(0)
    return asked[0]
