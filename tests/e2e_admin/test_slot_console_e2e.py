"""The console's slots in a real browser (issue 16 point 5), CSRF and the CSP on: an operator opens the
station's day view, moves a slot (first onto a taken time: refused on the form), cancels another, and plans a
maintenance window over a third, which warns with the slot and cancels it once confirmed."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.conftest import release_db
from tests.e2e_admin.conftest import answer_confirmation
from webapp.extensions import db
from webapp.models import Booking
from webapp.services.booking import slot_pay, slots
from webapp.timeutil import utcnow

pytestmark = pytest.mark.e2e

CARD = "4242 4242 4242 4242"


def at(hour: int):
    return (utcnow() + timedelta(days=2)).replace(hour=hour, minute=0, second=0, microsecond=0)


def ist(dt) -> str:
    return (dt + timedelta(hours=5, minutes=30)).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def seeded(factory):
    operator = factory.user("operator", email="op@chargeway.test", name="Otto", password="console-pass-1")
    station = factory.station(name="Slot Plaza", timezone="Asia/Kolkata")
    operator.stations = [station]
    charger = factory.charger(station=station, cp_id="SLOT-1", online=False, connectors=2)
    ids = {"station": station.id, "connectors": [c.id for c in charger.connectors], "slots": []}
    for hour, connector in ((4, 0), (6, 0), (8, 1)):  # 09:30, 11:30 and 13:30 IST
        driver = factory.user(name=f"Driver {hour}")
        booking = slots.book_slot(driver, station.id, at(hour), minutes=60, connector_id=ids["connectors"][connector])
        ids["slots"].append(slot_pay.pay_slot(driver, booking.id, 10, "card", CARD, f"pay-{booking.id}").id)
    db.session.commit()
    release_db()
    return ids


def status_of(booking_id):
    release_db()
    value = db.session.get(Booking, booking_id, populate_existing=True)
    row = (value.status, value.slot_start, value.connector_id)
    release_db()
    return row


def test_operator_moves_cancels_and_plans_maintenance_over_slots(desk, shots, seeded):
    page = desk
    page.on("dialog", lambda dialog: dialog.accept())
    first, second, third = seeded["slots"]
    page.goto("/login")
    page.fill("#email", "op@chargeway.test")
    page.fill("#password", "console-pass-1")
    page.click("button[type=submit]")
    page.goto(f"/admin/stations/{seeded['station']}")
    expect(page.locator(f'#upcoming-slots [data-slot="{first}"]')).to_contain_text(ist(at(4)).replace("T", " ") + " IST")
    shots(page, "station")
    page.get_by_role("link", name="Day view").click()
    page.fill("#f-date", ist(at(4))[:10])
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#day-zone")).to_have_text("Asia/Kolkata")
    expect(page.locator("#day-grid td.day-slot")).to_have_count(6)  # each 09:30-10:30 slot meets two hours
    shots(page, "day")

    page.locator(f'#day-items [data-slot="{first}"]').get_by_role("link", name="Move or cancel").click()
    page.fill("#f-slot-start", ist(at(6)))  # where the second slot is
    page.fill("#f-slot-move-reason", "connector 1 needs a new cable")
    page.get_by_role("button", name="Move the slot and tell the driver").click()
    expect(page.locator("#f-starts_at-error")).to_contain_text("is not free then")
    shots(page, "move-refused")
    page.fill("#f-slot-start", ist(at(10)))
    page.select_option("#f-slot-connector", str(seeded["connectors"][1]))
    page.get_by_role("button", name="Move the slot and tell the driver").click()
    expect(page.locator(".flash-success")).to_contain_text(f"Slot #{first} moved")
    assert status_of(first) == ("SCHEDULED", at(10), seeded["connectors"][1])
    shots(page, "moved")

    page.goto(f"/admin/bookings/{second}")
    page.fill("#f-slot-cancel-reason", "charger damaged")
    asked = answer_confirmation(page, page.get_by_role("button", name="Cancel the slot and release the payment"),
                                accept=True)
    assert f"Cancel slot #{second}?" in asked
    expect(page.locator(".flash-success")).to_contain_text("released in full")
    assert status_of(second)[0] == "CANCELLED"

    page.goto(f"/admin/maintenance/new?target=station:{seeded['station']}")
    page.fill("#f-starts_at", ist(at(8)))
    page.fill("#f-ends_at", ist(at(9)))
    page.fill("#f-reason", "transformer check")
    page.get_by_role("button", name="Plan window").click()
    expect(page.locator(f'#affected-slots [data-slot="{third}"]')).to_contain_text("Driver 8")
    shots(page, "maintenance-warning")
    assert status_of(third)[0] == "SCHEDULED"
    page.get_by_role("button", name="Plan window and cancel 1 slot(s)").click()
    expect(page.locator(".flash-success")).to_contain_text("booked slots inside it were cancelled")
    assert status_of(third)[0] == "CANCELLED"
    shots(page, "maintenance-planned")
    assert not page.errors, page.errors
