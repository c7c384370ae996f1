"""The OCPP log hides the periodic frames (Heartbeat, DataTransfer) by default; a check box shows them."""
import re

import pytest

from webapp.extensions import db
from webapp.models import OcppMessage


@pytest.fixture
def log(world):
    """A status change between heartbeats and solar DataTransfers, each with its answer."""
    frames = [("Heartbeat", '[2,"h1","Heartbeat",{}]', '[3,"h1",{"currentTime":"2026-12-01T10:00:00Z"}]'),
              ("DataTransfer", '[2,"d1","DataTransfer",{"vendorId":"chargeway","messageId":"SolarProduction"}]',
               '[3,"d1",{"status":"Accepted"}]'),
              ("StatusNotification", '[2,"s1","StatusNotification",{"connectorId":1,"status":"Charging"}]', '[3,"s1",{}]'),
              ("Heartbeat", '[2,"h2","Heartbeat",{}]', '[3,"h2",{"currentTime":"2026-12-01T10:05:00Z"}]')]
    for action, call, answer in frames:
        uid = call.split('"')[1]
        db.session.add(OcppMessage(charger_id=world.charger.id, direction="in", action=action, unique_id=uid,
                                   payload=call, answer=answer))
    db.session.commit()
    return world


def actions(page):
    return re.findall(r'<tr data-message="\d+"><td[^>]*>.*?</td>\s*<td>.*?</td>\s*<td>([^<]*)</td>', page, re.S)


def test_periodic_frames_are_hidden_by_default(operator_client, log):
    page = operator_client.get(f"/admin/chargers/{log.charger.id}/messages").get_data(as_text=True)
    assert actions(page) == ["StatusNotification", "StatusNotification"]
    assert 'name="periodic"' in page and "Show Heartbeat and DataTransfer" in page
    assert "without the periodic Heartbeat and DataTransfer frames" in page
    detail = operator_client.get(f"/admin/chargers/{log.charger.id}").get_data(as_text=True)
    assert "Heartbeat" not in "".join(actions(detail)) and "StatusNotification" in actions(detail)


def test_the_check_box_shows_them_and_the_refresh_keeps_it(operator_client, log):
    page = operator_client.get(f"/admin/chargers/{log.charger.id}/messages?periodic=y").get_data(as_text=True)
    assert actions(page) == ["Heartbeat"] * 2 + ["StatusNotification"] * 2 + ["DataTransfer"] * 2 + ["Heartbeat"] * 2
    assert re.search(r'hx-get="[^"]*periodic=True', page)  # the polled list keeps showing them
    polled = operator_client.get(f"/admin/chargers/{log.charger.id}/messages?periodic=True",
                                 headers={"HX-Request": "true", "HX-Target": "ocpp-log"}).get_data(as_text=True)
    assert "<html" not in polled and actions(polled).count("Heartbeat") == 4


def test_naming_the_action_shows_it_without_the_box(operator_client, log):
    page = operator_client.get(f"/admin/chargers/{log.charger.id}/messages?action=DataTransfer").get_data(as_text=True)
    assert actions(page) == ["DataTransfer", "DataTransfer"]


def lines(page):
    """(direction badge, frame) of each line, top to bottom."""
    return re.findall(r'<span class="badge dir-(in|out)">.*?</span></td>\s*<td>[^<]*</td><td><code class="frame">([^<]*)</code>',
                      page, re.S)


def test_a_row_shows_the_call_under_its_answer_and_old_pairs_read_the_same(operator_client, world):
    """One row holds a CALL and its answer (the answer's line on top, as the newer); rows logged before
    (0026) held one frame each and read as before; our own CALL's answer came in."""
    charger = world.charger.id
    db.session.add_all([
        OcppMessage(charger_id=charger, direction="in", action="StatusNotification", unique_id="old", payload="[2,old]"),
        OcppMessage(charger_id=charger, direction="out", action="StatusNotification", unique_id="old", payload="[3,old]"),
        OcppMessage(charger_id=charger, direction="in", action="StatusNotification", unique_id="s2", payload="[2,s2]",
                    answer="[3,s2]"),
        OcppMessage(charger_id=charger, direction="out", action="Reset", unique_id="r1", payload="[2,r1]",
                    answer="[3,r1]"),
        OcppMessage(charger_id=charger, direction="in", action=None, unique_id=None, payload="not json")])
    db.session.commit()
    page = operator_client.get(f"/admin/chargers/{charger}/messages").get_data(as_text=True)
    assert lines(page) == [("in", "not json"), ("in", "[3,r1]"), ("out", "[2,r1]"), ("out", "[3,s2]"),
                           ("in", "[2,s2]"), ("out", "[3,old]"), ("in", "[2,old]")]
