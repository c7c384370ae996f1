"""Console end-to-end: Debian's chromium (Playwright) on a desktop viewport against the live app and the
charger simulator. CSRF is on, as in production. Screenshots land in test-artifacts/e2e_admin/<test>/."""
import re
from pathlib import Path

import pytest


ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e_admin"
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
    yield page
    context.close()


class Shots:
    """Numbered full-page screenshots of one test."""

    def __init__(self, name: str):
        self.dir = ARTIFACTS / re.sub(r"[^\w.-]+", "_", name)
        self.dir.mkdir(parents=True, exist_ok=True)
        for old in self.dir.glob("*.png"):
            old.unlink()
        self.n = 0

    def __call__(self, page, step: str) -> Path:
        self.n += 1
        path = self.dir / f"{self.n:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def shots(request):
    return Shots(request.node.name)
