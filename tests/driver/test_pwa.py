"""PWA: manifest with icons (any + maskable), a root-scoped service worker (versioned static cache-first,
pages and fragments network-first, offline page), mobile viewport and labelled controls on every page."""
import json
import re
import struct

import pytest

from webapp.driver import pwa

from . import icon_art
from .conftest import confirmed_booking, hold
from .flow import start_tx, status, stop_tx


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_manifest_is_installable(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200 and response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data())
    assert manifest["display"] == "standalone" and manifest["start_url"].startswith("/")
    assert manifest["scope"] == "/" and manifest["name"] and manifest["short_name"] and manifest["theme_color"]
    purposes = {(i["sizes"], i["purpose"]) for i in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("192x192", "maskable"), ("512x512", "maskable")} <= purposes
    for icon in manifest["icons"]:
        data = client.get(icon["src"]).get_data()
        width, height = png_size(data)
        assert f"{width}x{height}" == icon["sizes"]


@pytest.mark.parametrize("name", sorted(icon_art.ICONS))
def test_committed_icons_are_the_generated_drawing(name):
    size, maskable = icon_art.ICONS[name]
    assert (icon_art.ICON_DIR / name).read_bytes() == icon_art.draw(size, maskable)


def test_service_worker_served_from_root_with_versioned_precache(client):
    response = client.get("/sw.js")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/" and "no-cache" in response.headers["Cache-Control"]
    version = pwa.static_version()
    assert f'"chargeway-static-{version}"' in body and re.fullmatch(r"[0-9a-f]{12}", version)
    precache = json.loads(re.search(r"const PRECACHE = (\[.*?\]);", body).group(1))
    assert "/offline" in precache and "/static/css/app.css" in precache and "/static/vendor/htmx-2.0.11.min.js" in precache
    for url in precache:
        assert client.get(url).status_code == 200, url
    # Strategies: static cache-first; navigations network-first with the offline page; fragments network.
    assert 'url.pathname.startsWith("/static/")' in body and "cache.match(request)" in body
    assert 'request.mode === "navigate"' in body and "fetch(request).catch(() => caches.match(OFFLINE_URL))" in body
    assert 'request.headers.get("HX-Request")' in body


def test_static_version_follows_the_files(app, monkeypatch, tmp_path):
    first = pwa.static_version()
    app.extensions.pop("chargeway_static_version")
    static = tmp_path / "static"
    for name in pwa.PRECACHE:
        (static / name).parent.mkdir(parents=True, exist_ok=True)
        (static / name).write_bytes(b"changed " + name.encode())
    monkeypatch.setattr(app, "static_folder", str(static))
    assert pwa.static_version() != first


def test_offline_page_stands_alone(client):
    html = client.get("/offline").get_data(as_text=True)
    assert "You are offline" in html and "csrf" not in html and "Log out" not in html


def unlabelled(html: str) -> list[str]:
    """Form controls with no label (for=, wrapping <label>, or aria-label), and buttons with no name."""
    html = re.sub(r"<template.*?</template>", "", html, flags=re.S)
    labelled_ids = set(re.findall(r'<label[^>]*\bfor="([^"]+)"', html))
    wrapped = " ".join(re.findall(r"<label\b.*?</label>", html, re.S))
    problems = []
    for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", html):
        if re.search(r'type="(hidden|submit)"', tag):
            continue
        m = re.search(r'\bid="([^"]+)"', tag)
        if (m and m.group(1) in labelled_ids) or tag in wrapped or "aria-label=" in tag:
            continue
        problems.append(tag)
    for button in re.findall(r"<button\b[^>]*>(.*?)</button>", html, re.S):
        if not re.sub(r"<[^>]+>", "", button).strip():
            problems.append(button)
    return problems


def test_every_driver_page_is_mobile_ready_and_labelled(client, driver, charger, link, clock):
    booking_id = hold(client, charger.connectors[0])
    urls = ["/", "/?place=MG Road&available=1", f"/stations/{charger.station_id}", f"/bookings/{booking_id}",
            "/charge", "/history", "/notifications"]
    client.post(f"/bookings/{booking_id}/cancel")
    done = confirmed_booking(client, charger.connectors[0])
    from webapp.services.fleet import qr

    client.post(f"/c/{qr.token_for(charger.connectors[0])}/start")
    tx = start_tx(driver.id_tag)
    urls += [f"/bookings/{done}/live", f"/c/{qr.token_for(charger.connectors[0])}"]
    stop_tx(tx, 1_002_000)
    status("Available")
    urls += [f"/bookings/{done}/receipt", f"/bookings/{booking_id}"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert 'name="viewport" content="width=device-width, initial-scale=1' in html, url
        assert 'rel="manifest"' in html and "/static/js/driver.js" in html, url
        assert unlabelled(html) == [], url
