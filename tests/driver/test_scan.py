"""Arrive and scan: each connector's QR code is an SVG of a signed URL; the page it opens checks the
signature, the booking and the charger, and "Start charging" sends RemoteStartTransaction."""
import pytest

from webapp.extensions import db
from webapp.models import Booking
from webapp.services.charging import transactions
from webapp.services.fleet import qr
from webapp.services.platform import signing
from webapp.services.errors import CommandFailed
from webapp.timeutil import utcnow

from .conftest import confirmed_booking, hold
from .pages import text
from .qrdecode import decode_svg


@pytest.fixture
def staff(factory):
    return factory.user(role="admin", email="admin@example.com")


def scanned_url(client, login, staff, connector):
    """Staff prints the QR; the phone camera reads it. Returns the path it opens."""
    client.post("/logout")
    login(staff)
    response = client.get(f"/qr/{connector.id}.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    url = decode_svg(response.get_data(as_text=True))
    client.post("/logout")
    assert url.startswith("http://localhost/c/")
    return url[len("http://localhost"):]


def test_qr_svg_is_staff_only(client, factory, login, charger):
    connector = charger.connectors[0]
    assert client.get(f"/qr/{connector.id}.svg").status_code == 302  # to the login page
    login(factory.user(email="d@example.com"))
    assert client.get(f"/qr/{connector.id}.svg").status_code == 403
    client.post("/logout")
    login(factory.user(role="operator", email="op@example.com"))  # not this station's operator
    assert client.get(f"/qr/{connector.id}.svg").status_code == 403
    assert client.get("/qr/999.svg").status_code == 404


def test_qr_encodes_a_signed_url_naming_the_connector(app, charger):
    connector = charger.connectors[1]
    url = decode_svg(qr.svg_for_connector(connector, "http://example.test/"))
    assert url.startswith("http://example.test/c/")
    assert signing.unsign_connector(url.rsplit("/", 1)[1]) == ("CP-TEST-1", 2)
    app.config["PUBLIC_URL"] = "https://charge.example.com"
    assert decode_svg(qr.svg_for_connector(connector, "http://ignored/")).startswith("https://charge.example.com/c/")


def test_scanning_opens_the_charger_page_with_start(client, factory, login, staff, charger, link):
    driver = factory.user(email="d@example.com")
    path = scanned_url(client, login, staff, charger.connectors[0])
    login(driver)
    booking_id = confirmed_booking(client, charger.connectors[0])
    html = client.get(path).get_data(as_text=True)
    page = text(html)
    assert "Charger CP-TEST-1 · connector #1" in page and f"Your booking #{booking_id}" in page
    assert "Start charging" in page and 'action="' + path + '/start"' in html
    response = client.post(path + "/start")
    assert response.status_code == 303 and response.headers["Location"] == f"/bookings/{booking_id}/live"
    assert ("CP-TEST-1", "RemoteStartTransaction", {"connectorId": 1, "idTag": driver.id_tag}) in link.calls
    assert "The door is unlocked" in text(client.get(response.headers["Location"]).get_data(as_text=True))


def test_start_charging_becomes_charging_on_start_transaction(client, driver, charger, link):
    booking_id = confirmed_booking(client, charger.connectors[0])
    token = qr.token_for(charger.connectors[0])
    client.post(f"/c/{token}/start")
    tx, status = transactions.start("CP-TEST-1", 1, driver.id_tag, 1000, utcnow())
    db.session.commit()
    assert status == "Accepted" and db.session.get(Booking, booking_id).status == "CHARGING"
    page = text(client.get(f"/c/{token}").get_data(as_text=True))
    assert "See your live session" in page and "Start charging" not in page


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # altered signature
    lambda t: t.replace(t.split(".")[0], "WyJDUC1URVNULTEiLDJd"),  # payload changed to connector 2
    lambda t: "WyJDUC1URVNULTEiLDFd.forged.signature",
    lambda t: "not-a-token",
])
def test_forged_or_altered_code_gets_a_clear_error(client, driver, charger, link, mangle):
    confirmed_booking(client, charger.connectors[0])
    token = mangle(qr.token_for(charger.connectors[0]))
    response = client.get(f"/c/{token}")
    assert response.status_code == 400
    assert "This code is not valid" in text(response.get_data(as_text=True))
    start = client.post(f"/c/{token}/start", follow_redirects=True)
    assert "This code is not valid" in text(start.get_data(as_text=True))
    assert link.calls == []


def test_code_signed_with_another_key_is_refused(app, client, driver, charger):
    token = qr.token_for(charger.connectors[0])
    app.config["QR_SIGNING_KEY"] = "rotated-key"
    assert client.get(f"/c/{token}").status_code == 400


def test_code_for_a_deleted_charger_is_404(client, driver):
    token = signing.sign_connector("GONE-1", 1)
    response = client.get(f"/c/{token}")
    assert response.status_code == 404 and "no charger with id 'GONE-1'" in text(response.get_data(as_text=True))


def test_start_is_refused_with_the_reason(client, factory, login, driver, charger, clock, link):
    token1, token2 = qr.token_for(charger.connectors[0]), qr.token_for(charger.connectors[1])
    assert "You have no confirmed booking" in text(client.get(f"/c/{token1}").get_data(as_text=True))
    booking_id = hold(client, charger.connectors[0])
    assert "This booking is held; it cannot start charging" in text(client.get(f"/c/{token1}").get_data(as_text=True))
    client.post(f"/bookings/{booking_id}/cancel")
    booking_id = confirmed_booking(client, charger.connectors[0])
    assert "Your booking is for CP-TEST-1 #1, not CP-TEST-1 #2" in text(client.get(f"/c/{token2}").get_data(as_text=True))
    charger.online = False
    db.session.commit()
    page = text(client.get(f"/c/{token1}").get_data(as_text=True))
    assert "The charger is offline" in page and "Start charging" not in page
    response = client.post(f"/c/{token1}/start", follow_redirects=True)
    assert "The charger is offline" in text(response.get_data(as_text=True)) and link.calls == []
    charger.online = True
    db.session.commit()
    clock.advance(minutes=16)  # past the arrival grace
    page = text(client.get(f"/c/{token1}").get_data(as_text=True))
    assert "You have no confirmed booking" in page and "Start charging" not in page
    assert db.session.get(Booking, booking_id).status == "NO_SHOW"


def test_charger_refusing_or_unreachable(client, driver, charger, link, monkeypatch):
    confirmed_booking(client, charger.connectors[0])
    token = qr.token_for(charger.connectors[0])
    link.answers["RemoteStartTransaction"] = {"status": "Rejected"}
    response = client.post(f"/c/{token}/start", follow_redirects=True)
    assert "The charger refused to start" in text(response.get_data(as_text=True))

    def unreachable(*args, **kwargs):
        raise CommandFailed("Charger CP-TEST-1 is not connected")

    monkeypatch.setattr("webapp.services.platform.bus.call", unreachable)
    response = client.post(f"/c/{token}/start", follow_redirects=True)
    assert "Charger CP-TEST-1 is not connected" in text(response.get_data(as_text=True))


def test_typed_charger_id_fallback(client, driver, charger):
    form = client.get("/charge").get_data(as_text=True)
    assert '<label for="charger">Charger id</label>' in form
    response = client.get("/charge?charger=cp-test-1&connector=2")
    assert response.status_code == 302
    token = response.headers["Location"].rsplit("/", 1)[1]
    assert signing.unsign_connector(token) == ("CP-TEST-1", 2)
    missing = client.get("/charge?charger=NOPE-9&connector=1")
    assert missing.status_code == 404 and "no charger with id 'NOPE-9'" in text(missing.get_data(as_text=True))
    bad = client.get("/charge?charger=CP-TEST-1&connector=x")
    assert bad.status_code == 422 and "whole number" in bad.get_data(as_text=True)
    assert client.get("/charge?charger=CP-TEST-1&connector=7").status_code == 404


def test_typed_charger_id_refusals_sit_next_to_their_field(client, driver, charger):
    bad = client.get("/charge?charger=CP-TEST-1&connector=x")
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "whole number" in page.split('id="f-connector-error"')[1]
    assert 'value="CP-TEST-1"' in page and 'value="x"' in page  # what was typed stays
    blank = client.get("/charge?charger=%20%20&connector=2")
    assert blank.status_code == 422 and "Type the charger id" in blank.get_data(as_text=True).split(
        'id="f-charger-error"')[1]
    assert client.get("/charge?charger=CP-TEST-1&connector=").status_code == 302  # blank: connector 1
