"""The live dashboard: chargers online/offline, connectors by status, active sessions, today's energy and
revenue, alerts; scoped to the operator's stations and refreshed by htmx."""
from datetime import timedelta

import pytest

from webapp.extensions import db
from webapp.models import Booking, ChargingSession
from webapp.services.money import payments
from webapp.timeutil import utcnow

from .conftest import paid_booking

pytestmark = pytest.mark.both_dbs  # the figures are SQL: check them on PostgreSQL too

LIVE = {"HX-Request": "true", "HX-Target": "dashboard-live"}


def stat(page: str, name: str) -> str:
    return page.split(f'id="stat-{name}">')[1].split("<")[0]


def failed_capture_booking(connector, user):
    """A booking whose capture the bank refused: a debt."""
    booking = Booking(user_id=user.id, connector_id=connector.id, status="FINISHING", currency="INR",
                      hold_expires_at=utcnow(), quota_kwh=5)
    db.session.add(booking)
    db.session.flush()
    payments.authorise(booking, 4000, "card", "4000 0000 0000 0341", f"auth-x-{booking.id}")
    booking.status = "COMPLETED"
    payments.settle(booking, 2500)
    db.session.commit()
    return booking


def test_dashboard_figures_and_alerts(operator_client, world, factory):
    world.other_charger.online = False  # another operator's problem: not on this dashboard
    world.charger.connectors[1].status = "Faulted"
    world.charger.connectors[1].error_code = "GroundFailure"
    offline = factory.charger(station=world.station, cp_id="OWN-OFF", online=False, connectors=1,
                              status="Unavailable")
    overstay = paid_booking(world.charger.connectors[0], factory.user(email="slow@example.com"), status="CONFIRMED")
    overstay.status, overstay.exit_by = "OVERSTAY", utcnow() - timedelta(minutes=3)
    running = ChargingSession(connector_id=world.connector.id, user_id=world.driver.id, id_tag=world.driver.id_tag,
                              meter_start=0, started_at=utcnow() - timedelta(minutes=10), energy_wh=2500,
                              power_w=11000.0, soc_last=55)
    db.session.add(running)
    db.session.commit()
    failed_capture_booking(offline.connectors[0], factory.user(email="broke@example.com"))
    page = operator_client.get("/admin/").get_data(as_text=True)
    assert stat(page, "online") == "1" and stat(page, "offline") == "1"
    assert stat(page, "sessions") == "1" and f'data-session="{running.id}"' in page and "11.0 kW" in page
    # sessions started today at the operator's station: the world's finished one (7 kWh) and the running one
    assert stat(page, "energy") == "9.50 kWh"
    assert stat(page, "revenue") == "₹30.00"  # the capture of the world's booking; the refused one is not money
    assert '<tr data-connector-status="Faulted"><td><span class="badge status-Faulted">Faulted</span></td><td>1</td>' \
        in page.replace("\n", "")
    for kind in ("offline", "fault", "overstay", "failed_capture"):
        assert f'data-alert="{kind}"' in page, kind
    assert "OWN-OFF is offline" in page and "Overstay on OWN-1 #1" in page and "GroundFailure" in page
    assert "broke@example.com" in page and "The bank refused the capture" in page
    assert "FAR-1" not in page
    # critical alerts (faults, failed captures) come before warnings
    assert page.index('data-alert="fault"') < page.index('data-alert="offline"')


def test_dashboard_fragment_refreshes_itself(operator_client, world):
    response = operator_client.get("/admin/", headers=LIVE)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.lstrip().startswith('<div id="dashboard-live"')
    assert 'hx-trigger="every 5s"' in body and 'hx-target="this"' in body and "<html" not in body
    assert {"HX-Request", "HX-Target"} <= set(response.vary)  # caches keep page and fragment apart
    page = operator_client.get("/admin/", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in page.get_data(as_text=True)  # a boosted navigation gets the whole page


def test_admin_sees_every_station_and_debt_settlements(admin_client, world, factory):
    world.other_charger.online = False
    db.session.commit()
    page = admin_client.get("/admin/").get_data(as_text=True)
    assert stat(page, "online") == "1" and stat(page, "offline") == "1" and "FAR-1 is offline" in page
    assert stat(page, "revenue") == "₹60.00" and stat(page, "energy") == "14.00 kWh"


def test_no_alerts_when_all_is_well(operator_client, world):
    page = operator_client.get("/admin/").get_data(as_text=True)
    assert "No alerts" in page and "No session in progress" in page


def test_charger_list_keeps_the_live_table(operator_client, world):
    page = operator_client.get("/admin/chargers").get_data(as_text=True)
    assert 'id="charger-table"' in page and 'data-charger="OWN-1"' in page and "Online" in page
    assert 'data-charger="FAR-1"' not in page
    fragment = operator_client.get("/admin/chargers", headers={"HX-Request": "true", "HX-Target": "charger-table"})
    assert fragment.get_data(as_text=True).lstrip().startswith('<div id="charger-table"')
