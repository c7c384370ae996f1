"""The console's finish: a favicon on every layout, statuses in words, and a confirmation question on every
destructive action (the shared component asks it; app.js falls back to the browser's confirm)."""
import re

import pytest

from webapp.extensions import db
from webapp.models import Booking, Connector
from webapp.status_words import status_word


def test_favicon_is_linked_in_both_layouts_and_served(app, operator_client, client):
    for page in (operator_client.get("/admin/").get_data(as_text=True), client.get("/").get_data(as_text=True),
                 client.get("/login").get_data(as_text=True)):
        assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
        assert '<link rel="icon" href="/static/favicon.ico" sizes="any">' in page
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    ico = client.get("/favicon.ico")
    assert ico.status_code == 200 and ico.data[:4] == b"\x00\x00\x01\x00"  # an ICO header


@pytest.mark.parametrize("raw, kind, word", [
    ("SuspendedEV", "ocpp", "Paused by the car"), ("SuspendedEVSE", "ocpp", "Paused by the charger"),
    ("NO_SHOW", "booking", "No-show"), ("CONFIRMED", "booking", "Confirmed"), ("succeeded", "payment", "Succeeded"),
    ("in_maintenance", "station", "In maintenance"), ("active", "window", "Active"), (None, "ocpp", ""),
])
def test_status_words(raw, kind, word):
    assert status_word(raw, kind) == word


def test_a_status_word_names_a_known_family():
    with pytest.raises(ValueError, match="no status family 'bookings'"):
        status_word("NO_SHOW", "bookings")
    with pytest.raises(TypeError):
        status_word("NO_SHOW")  # the kind is required: no search through every family


def test_console_shows_statuses_in_words(operator_client, world):
    db.session.get(Connector, world.connector.id).status = "SuspendedEV"
    booking = db.session.get(Booking, world.booking.id)
    booking.status, booking.reservation_status = "NO_SHOW", "Accepted"
    db.session.commit()
    charger = operator_client.get(f"/admin/chargers/{world.charger.id}").get_data(as_text=True)
    assert '<span class="badge status-SuspendedEV">Paused by the car</span>' in charger
    assert ">SuspendedEV<" not in charger
    dashboard = operator_client.get("/admin/").get_data(as_text=True)
    assert re.search(r'status-SuspendedEV">Paused by the car<', dashboard)
    bookings = operator_client.get("/admin/bookings").get_data(as_text=True)
    assert 'data-status="NO_SHOW">No-show</span>' in bookings and ">NO_SHOW<" not in bookings
    assert '<option value="NO_SHOW">No-show</option>' in bookings
    detail = operator_client.get(f"/admin/bookings/{world.booking.id}").get_data(as_text=True)
    assert "<dt>Reservation</dt><dd>Reserved" in detail  # the ReserveNow answer's word, not "Accepted"
    payment = operator_client.get(f"/admin/payments/{world.capture.id}").get_data(as_text=True)
    assert 'pay-succeeded">Succeeded</span>' in payment


def _forms(page):
    return re.findall(r"<form\b[^>]*>", page)


def _confirmed(page, action_part):
    forms = [f for f in _forms(page) if action_part in f]
    assert forms, f"no form posting to {action_part}"
    return all(re.search(r'data-confirm="[^"]+\?[^"]*"', f) for f in forms)


def test_every_destructive_console_action_asks_first(admin_client, world):
    w = world
    charger = admin_client.get(f"/admin/chargers/{w.charger.id}").get_data(as_text=True)
    for command in ("remote_stop", "unlock", "reset", "change_availability", "clear_cache"):
        form = re.search(rf'<form class="command"[^>]*data-command="{command}"[^>]*>', charger).group(0)
        assert 'data-confirm="' in form, command
    assert _confirmed(charger, "/retire") and _confirmed(charger, "/password\"")
    assert _confirmed(charger, f"/admin/connectors/{w.connector.id}/remove")
    assert _confirmed(admin_client.get(f"/admin/stations/{w.station.id}").get_data(as_text=True), "/retire")
    assert _confirmed(admin_client.get(f"/admin/payments/{w.capture.id}").get_data(as_text=True), "/refund")
    assert _confirmed(admin_client.get("/admin/maintenance").get_data(as_text=True), "/cancel")
    assert _confirmed(admin_client.get("/admin/tariffs").get_data(as_text=True), "/retire")
    user = admin_client.get(f"/admin/users/{w.driver.id}").get_data(as_text=True)
    assert _confirmed(user, "/suspend")
    db.session.get(Booking, w.booking.id).status = "CONFIRMED"
    db.session.commit()
    booking = admin_client.get(f"/admin/bookings/{w.booking.id}").get_data(as_text=True)
    assert _confirmed(booking, "/cancel")
