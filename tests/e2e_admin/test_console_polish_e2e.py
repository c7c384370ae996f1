"""The console at 1440 px in a real browser: times on the station's clock with the zone named (and on the
operator's own zone once chosen), a confirmation before a destructive command, and axe-core finding no
serious or critical accessibility violation on the main pages. Screenshots in test-artifacts/e2e_admin/."""
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.admin.conftest import finished_session, paid_booking
from tests.conftest import release_db
from tests.e2e_admin.conftest import answer_confirmation
from webapp.extensions import db
from webapp.models import AuditLog, MaintenanceWindow

pytestmark = pytest.mark.e2e

AXE = Path(__file__).resolve().parents[1] / "support" / "axe.min.js"
CREATED = datetime(2026, 6, 1, 8, 35, 9, tzinfo=timezone.utc)  # 14:05:09 IST, 10:35:09 CEST


@pytest.fixture
def console(factory):
    """An admin, a Kolkata station with a charger (offline), a paid and charged booking created at CREATED,
    a maintenance window."""
    admin = factory.user("admin", email="ops@chargeway.test", name="Ops Admin", password="console-pass-1")
    station = factory.station(name="Indiranagar Hub", timezone="Asia/Kolkata")
    charger = factory.charger(station=station, cp_id="IST-1", online=False, connectors=2)
    driver = factory.user(email="dora@chargeway.test", name="Dora")
    booking = paid_booking(charger.connectors[0], driver, authorised=5000, captured=3000)
    booking.created_at = CREATED
    session = finished_session(charger.connectors[0], driver, booking)
    capture = next(p for p in booking.payments if p.kind == "capture")
    window = MaintenanceWindow(station_id=station.id, starts_at=datetime(2026, 12, 24, 4, 30, tzinfo=timezone.utc),
                               ends_at=datetime(2026, 12, 24, 6, 30, tzinfo=timezone.utc), reason="cable swap")
    db.session.add(window)
    db.session.commit()
    ids = {"admin": admin.id, "station": station.id, "charger": charger.id, "booking": booking.id,
           "session": session.id, "capture": capture.id, "driver": driver.id}
    release_db()
    return ids


def log_in(page):
    page.goto("/login")
    page.fill("#email", "ops@chargeway.test")
    page.fill("#password", "console-pass-1")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Dashboard")


def audit_count(action):
    release_db()
    count = db.session.execute(db.select(db.func.count(AuditLog.id)).where(AuditLog.action == action)).scalar_one()
    release_db()
    return count


def test_console_times_are_local_with_the_zone_named(desk, shots, console):
    page = desk
    log_in(page)
    page.goto(f"/admin/bookings/{console['booking']}")
    created = page.locator("dt:has-text('Created') + dd time")
    expect(created).to_have_text("2026-06-01 14:05:09 IST")
    expect(created).to_have_attribute("datetime", "2026-06-01T08:35:09.000Z")
    shots(page, "booking-station-time")
    page.goto("/admin/maintenance")
    expect(page.locator("tr[data-window] time").first).to_have_text("2026-12-24 10:00 IST")
    shots(page, "maintenance-station-time")
    # choose my own zone
    page.click("#clock-setting")
    page.check("input[name=show_in][value=mine]")
    page.fill("#f-zone", "Europe/Berlin")
    shots(page, "clock-setting")
    page.click("#clock-form button[type=submit]")
    expect(page.locator(".flash-success")).to_contain_text("Times are now shown in Europe/Berlin.")
    expect(page.locator("#clock-setting")).to_have_text("Times: Europe/Berlin")
    page.goto(f"/admin/bookings/{console['booking']}")
    expect(created).to_have_text("2026-06-01 10:35:09 CEST")
    shots(page, "booking-my-time")
    assert page.errors == []


def test_a_destructive_command_asks_first(desk, shots, console):
    page = desk
    log_in(page)
    page.goto(f"/admin/chargers/{console['charger']}")
    send = page.locator("form[data-command=reset] button[type=submit]")
    question = answer_confirmation(page, send, accept=False)
    assert "Reset IST-1?" in question
    shots(page, "reset-declined")
    expect(page.locator("#command-result")).not_to_contain_text("Reset")
    assert audit_count("charger.command.reset") == 0  # nothing was sent
    answer_confirmation(page, send, accept=True)
    expect(page.locator("#command-result")).to_contain_text("IST-1 is not connected")
    shots(page, "reset-confirmed")
    assert audit_count("charger.command.reset") == 1
    assert page.errors == []


def axe_violations(page) -> list[str]:
    """Serious and critical axe-core violations on the current page (axe is injected through the
    DevTools protocol, which our Content-Security-Policy does not govern)."""
    if not page.evaluate("() => !!window.axe"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("""async () => {
        const r = await axe.run(document);
        return {passed: r.passes.length, violations: r.violations.filter(v => ['serious', 'critical'].includes(v.impact))
            .map(v => v.impact + ' ' + v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))};
    }""")
    assert result["passed"] > 10, "axe-core did not run its rules"  # the check itself ran
    return result["violations"]


def test_axe_finds_no_serious_violation_on_the_console(desk, shots, console):
    page = desk
    log_in(page)
    pages = {"dashboard": "/admin/", "stations": "/admin/stations",
             "station": f"/admin/stations/{console['station']}", "chargers": "/admin/chargers",
             "charger": f"/admin/chargers/{console['charger']}", "bookings": "/admin/bookings",
             "booking": f"/admin/bookings/{console['booking']}", "payments": "/admin/payments",
             "payment": f"/admin/payments/{console['capture']}", "users": "/admin/users",
             "user": f"/admin/users/{console['driver']}", "analytics": "/admin/analytics",
             "audit": "/admin/audit", "maintenance": "/admin/maintenance", "sessions": "/admin/sessions",
             "session": f"/admin/sessions/{console['session']}", "ocpp-log": f"/admin/chargers/{console['charger']}/messages",
             "clock": "/admin/me/clock"}
    found = {}
    for name, url in pages.items():
        page.goto(url)
        page.wait_for_load_state("networkidle")
        violations = axe_violations(page)
        if violations:
            found[name] = violations
        shots(page, f"axe-{name}")
    assert not found, "\n".join(f"{name}: {v}" for name, vs in found.items() for v in vs)
    assert page.errors == []


def test_console_tap_targets_are_at_least_44px(desk, shots, console):
    page = desk
    log_in(page)
    small = {}
    for url in ["/admin/", f"/admin/chargers/{console['charger']}", f"/admin/bookings/{console['booking']}",
                f"/admin/payments/{console['capture']}", "/admin/maintenance", "/admin/bookings",
                f"/admin/chargers/{console['charger']}/messages", "/admin/me/clock"]:
        page.goto(url)
        found = page.evaluate("""() => [...document.querySelectorAll(
                '.console button, .console select, .console input:not([type=hidden]):not([type=checkbox]):not([type=radio]), '
                + '.console-nav a, .console .pager a, .console a.button, .console label.check')]
            .filter(el => el.offsetParent !== null)
            .map(el => [el.outerHTML.slice(0, 80), el.getBoundingClientRect().height])
            .filter(([_, h]) => h < 44)""")
        if found:
            small[url] = found
    shots(page, "tap-targets")
    assert not small, small
