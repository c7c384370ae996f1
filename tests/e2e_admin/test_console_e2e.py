"""The console's main tasks in a real browser: add a station and a charger, watch the simulated charger come
online, send a remote command and see its answer, refund a payment, export sessions as CSV. Each action
leaves an audit entry (the charger coming online is a charger event on its timeline)."""
import csv
import io
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from tests.admin.conftest import finished_session, paid_booking
from tests.conftest import release_db, wait_until
from tests.e2e_admin.conftest import answer_confirmation
from webapp.extensions import db
from webapp.models import AuditLog, Charger, ChargerEvent

pytestmark = pytest.mark.e2e

CP_ID = "E2E-ADMIN-1"


@pytest.fixture
def seeded(factory):
    """An admin, a tariff, and a station with a finished, paid session to refund and export."""
    admin = factory.user("admin", email="ops@chargeway.test", name="Ops Admin", password="console-pass-1")
    tariff = factory.tariff(name="City standard", price_per_kwh=1800, session_fee=2000)
    station = factory.station(name="Refund Plaza", tariff=tariff)
    charger = factory.charger(station=station, cp_id="PAY-1", online=False, connectors=1)
    driver = factory.user(email="dora@chargeway.test", name="Dora")
    booking = paid_booking(charger.connectors[0], driver, authorised=5000, captured=3000)
    session = finished_session(charger.connectors[0], driver, booking)
    capture = next(p for p in booking.payments if p.kind == "capture")
    db.session.commit()
    ids = {"admin": admin.id, "tariff": tariff.id, "capture": capture.id, "session": session.id}
    release_db()
    return ids


def audited(action):
    """Plain copies of the audit entries of `action` (reading them later must not reopen a transaction,
    which on SQLite would hold the write lock the live server needs)."""
    release_db()
    rows = [SimpleNamespace(user_id=e.user_id, ip=e.ip, created_at=e.created_at, before=e.before, after=e.after)
            for e in db.session.execute(db.select(AuditLog).where(AuditLog.action == action)).scalars()]
    release_db()
    return rows


def test_console_main_tasks(desk, shots, live_server, sim, seeded):
    page = desk
    # log in
    page.goto("/login")
    page.fill("#email", "ops@chargeway.test")
    page.fill("#password", "console-pass-1")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Dashboard")
    shots(page, "dashboard")

    # add a station
    page.click("nav.console-nav >> text=Stations")
    page.click("text=New station")
    page.fill("#f-name", "Indiranagar E2E")
    page.fill("#f-address", "100 Feet Rd, Bengaluru")
    page.fill("#f-latitude", "12.9719")
    page.fill("#f-longitude", "77.6412")
    page.fill("#f-timezone", "Asia/Kolkata")
    page.check("input[name=always_open]")
    page.select_option("#f-tariff_id", str(seeded["tariff"]))
    page.fill("#f-latitude", "95")  # a typo first: refused with a clear message, nothing saved
    page.click("#station-form button[type=submit]")
    expect(page.locator("#f-latitude-error")).to_contain_text("Latitude must be between -90 and 90")
    shots(page, "station-invalid")
    page.fill("#f-latitude", "12.9719")
    page.click("#station-form button[type=submit]")
    expect(page.locator(".flash-success")).to_contain_text("Station Indiranagar E2E created")
    shots(page, "station-created")
    assert len(audited("station.create")) == 1

    # add a charger: its OCPP URL and password are shown once
    page.click("text=Add charger")
    page.fill("#f-cp_id", CP_ID)
    page.fill("#f-connectors", "2")
    page.fill("#f-power_kw", "22")
    page.click("form.narrow-form button[type=submit]")
    expect(page.locator("#ocpp-url")).to_have_text(f"{live_server.ws_url}/{CP_ID}")
    password = page.locator("#cp-password").inner_text()
    assert len(password) >= 20
    shots(page, "charger-credentials")
    assert len(audited("charger.create")) == 1

    # watch the simulated charger come online in the live charger table
    page.goto("/admin/chargers")
    badge = page.locator(f'tr[data-charger="{CP_ID}"] td:nth-child(3) .badge').first
    expect(badge).to_have_text("Offline")
    release_db()
    device = sim.add(CP_ID, live_server.ws_url, password=password, connectors=2)
    assert device.connect() == "Accepted"
    expect(badge).to_have_text("Online", timeout=15000)  # the table refreshes itself every 5 s
    expect(page.locator(f'tr[data-charger="{CP_ID}"]')).to_contain_text("#2 Available", timeout=15000)
    shots(page, "charger-online")

    # a remote command and the charger's answer
    page.click(f"text={CP_ID}")
    unlock = page.locator('form[data-command="unlock"]')
    unlock.locator("select[name=connector_id]").select_option("2")
    assert "Unlock the connector of" in answer_confirmation(page, unlock.locator("button"), accept=True)
    expect(page.locator("#command-result [data-status]")).to_have_text("Unlocked")
    assert device.received_calls("UnlockConnector") == [{"connectorId": 2}]
    trigger = page.locator('form[data-command="trigger_message"]')
    trigger.locator("select[name=message]").select_option("Heartbeat")
    trigger.locator("button").click()
    expect(page.locator("#command-result")).to_contain_text("TriggerMessage")
    expect(page.locator("#command-result [data-status]")).to_have_text("Accepted")
    page.click("text=Load configuration (GetConfiguration)")
    expect(page.locator('[data-config-key="HeartbeatInterval"]')).to_be_visible()
    expect(page.locator("#timeline")).to_contain_text("Online")
    shots(page, "charger-command")
    assert {e.after["answer"]["status"] for e in audited("charger.command.unlock")} == {"Unlocked"}

    # refund part of a payment
    page.goto(f"/admin/payments/{seeded['capture']}")
    expect(page.locator("#refundable")).to_have_text("₹30.00")
    page.fill("#f-amount", "12.50")
    page.fill("#f-refund-reason", "Connector delivered less than metered")
    answer_confirmation(page, page.locator("#refund-form button[type=submit]"), accept=True)
    expect(page.locator(".flash-success")).to_contain_text("Refunded 12.50 INR")
    expect(page.locator("#refundable")).to_have_text("₹17.50")
    shots(page, "refunded")

    # export sessions as CSV
    page.click("nav.console-nav >> text=Sessions")
    with page.expect_download() as info:
        page.click("#export-sessions")
    rows = list(csv.reader(io.StringIO(open(info.value.path(), encoding="utf-8").read())))
    assert rows[0][:3] == ["transaction_id", "station", "charger"]
    assert [r[0] for r in rows[1:]] == [str(seeded["session"])] and rows[1][1] == "Refund Plaza"
    assert info.value.suggested_filename.startswith("chargeway-sessions-")

    # every step left an audit entry, by this admin, from this browser's address
    page.click("nav.console-nav >> text=Audit log")
    for action in ("station.create", "charger.create", "charger.command.unlock", "charger.command.trigger_message",
                   "charger.command.get_configuration", "payment.refund", "export.sessions"):
        expect(page.locator(f'tr[data-audit="{action}"]')).to_have_count(1)
        [entry] = audited(action)
        assert entry.user_id == seeded["admin"] and entry.ip == "127.0.0.1" and entry.created_at is not None
    shots(page, "audit-log")
    [refund] = audited("payment.refund")
    assert refund.after["amount"] == 1250 and refund.before["refundable"] == 3000
    # the charger coming online is on its timeline
    charger_id = db.session.execute(db.select(Charger.id).where(Charger.charge_point_id == CP_ID)).scalar_one()
    release_db()
    wait_until(lambda: db.session.execute(db.select(ChargerEvent).where(
        ChargerEvent.charger_id == charger_id, ChargerEvent.kind == "online")).first(), 5)
    assert page.errors == []


def test_console_charts_qr_and_health_render(desk, shots, seeded):
    """The pages drawn on the server (charts, QR sheet, health) render in the browser without script errors."""
    page = desk
    page.goto("/login")
    page.fill("#email", "ops@chargeway.test")
    page.fill("#password", "console-pass-1")
    page.click("button[type=submit]")
    page.goto(f"/admin/sessions/{seeded['session']}")
    expect(page.locator("svg.chart")).to_have_count(3)
    expect(page.locator("svg.chart polyline").first).to_be_visible()
    shots(page, "session-chart")
    page.goto("/admin/analytics?days=7")
    expect(page.locator("svg.chart")).to_have_count(7)
    expect(page.locator("#total-revenue")).to_have_text("₹30.00")
    shots(page, "analytics")
    page.click("nav.console-nav >> text=Stations")
    page.click("text=Refund Plaza")
    page.click("text=QR sheet")
    expect(page.locator(".qr-label")).to_have_count(1)
    expect(page.locator(".qr-label svg")).to_be_visible()
    shots(page, "qr-sheet")
    page.click("nav.console-nav >> text=System health")
    expect(page.locator("#health-overall")).to_have_text("All systems go")
    shots(page, "health")
    assert page.errors == []
