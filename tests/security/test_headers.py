"""Point 2 of issue 12: security headers on every response, and nothing in a template the CSP would block."""
import re
from pathlib import Path

import pytest

from flask import Flask

from webapp import headers
from webapp.config import ProductionConfig

ROOT = Path(__file__).resolve().parents[2] / "webapp"

# What CSP "script-src 'self'; style-src 'self'" blocks: inline <script> without src, on* handler
# attributes, javascript: URLs, <style> blocks, style attributes, and htmx's eval-based hx-on.
BLOCKED = {
    "inline script": re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.I),
    "event handler attribute": re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I | re.S),
    "javascript: URL": re.compile(r"javascript:", re.I),
    "style block": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I | re.S),
    "hx-on (needs eval)": re.compile(r"\shx-on[:-]", re.I),
}


def _sources():
    for path in sorted(ROOT.rglob("*")):
        if path.suffix in {".html", ".py"} and "static" not in path.parts:
            yield path


@pytest.mark.parametrize("path", list(_sources()), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_markup_the_csp_would_block(path):
    """Every template (and every Python module that builds markup) is free of inline code and styles."""
    text = path.read_text(encoding="utf-8")
    found = [f"{what}: {m.group(0)[:80]!r}" for what, rx in BLOCKED.items() for m in rx.finditer(text)]
    assert not found, f"{path.relative_to(ROOT)} has markup the Content-Security-Policy blocks: {found}"


EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def _check(response):
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (name, response.status_code)
    csp = response.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert "unsafe" not in csp


@pytest.mark.parametrize("url", ["/", "/login", "/admin/", "/api/stations", "/api/docs", "/healthz",
                                 "/static/js/app.js", "/no-such-page", "/sw.js", "/manifest.webmanifest"])
def test_every_kind_of_response_has_the_headers(client, url):
    """Pages, redirects, JSON, static files, 404s: all carry the headers; no HSTS outside production."""
    response = client.get(url)
    _check(response)
    assert "Strict-Transport-Security" not in response.headers


def test_admin_pages_have_the_headers(app, client, login, factory):
    admin = factory.user(role="admin")
    login(admin)
    _check(client.get("/admin/"))


def test_hsts_in_production():
    """Production sends HSTS (browsers then refuse plain HTTP to the host for a year); the setting's
    default is a year."""
    assert ProductionConfig.HSTS_SECONDS == 31536000
    app = Flask(__name__)
    app.config.update(PRODUCTION=True, HSTS_SECONDS=31536000)
    headers.register(app)
    app.add_url_rule("/healthz", "healthz", lambda: "ok")
    with app.test_client() as client:
        response = client.get("/healthz")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    _check(response)
