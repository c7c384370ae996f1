"""QR sheets: a printable page per station with each connector's QR code and id; the codes really scan."""
import re

from tests.driver.qrdecode import decode_svg
from webapp.extensions import db
from webapp.services.fleet import qr


def test_sheet_has_a_scannable_code_per_connector(operator_client, world, factory):
    factory.charger(station=world.station, cp_id="OWN-RETIRED", retired=True)
    response = operator_client.get(f"/admin/stations/{world.station.id}/qr")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "data-print" in page  # static/js/app.js prints
    labels = re.findall(r'data-connector-label="([^"]+)"', page)
    assert labels == ["OWN-1 #1", "OWN-1 #2"]  # retired chargers get no labels
    svgs = re.findall(r'<div class="qr-code">(.*?)</div>', page, re.S)
    assert len(svgs) == 2 and all("<?xml" not in svg for svg in svgs)
    for number, svg in enumerate(svgs, start=1):
        url = decode_svg(svg)
        assert url.startswith("http://localhost/c/")
        connector = qr.connector_for_token(url.rsplit("/", 1)[1])
        assert (connector.charger.charge_point_id, connector.connector_id) == ("OWN-1", number)
    assert "<strong>OWN-1</strong> · connector <strong>2</strong>" in page


def test_sheet_uses_the_public_url_when_set(operator_client, world, app):
    app.config["PUBLIC_URL"] = "https://charge.example.com"
    page = operator_client.get(f"/admin/stations/{world.station.id}/qr").get_data(as_text=True)
    svg = re.findall(r'<div class="qr-code">(.*?)</div>', page, re.S)[0]
    assert decode_svg(svg).startswith("https://charge.example.com/c/")


def test_no_connectors_in_service(operator_client, world):
    world.charger.retired = True
    db.session.commit()
    page = operator_client.get(f"/admin/stations/{world.station.id}/qr").get_data(as_text=True)
    assert "no connectors in service" in page
