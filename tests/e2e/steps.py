"""Steps a driver takes on the phone, shared by the end-to-end tests."""
import re
import uuid

from playwright.sync_api import expect

from tests.conftest import release_db
from tests.driver.qrdecode import decode_svg
from webapp.extensions import db

PASSWORD = "drive-safe-123"


def register(page, shots, name="Asha Driver") -> str:
    """Create an account through the form; returns the email."""
    email = f"asha-{uuid.uuid4().hex[:8]}@example.com"
    page.goto("/register")
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    page.get_by_label("Name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password (10 to 128 characters)").fill(PASSWORD)
    shots(page, "register")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Find a charger")).to_be_visible()
    expect(page.get_by_text("Welcome to Chargeway!")).to_be_visible()
    return email


def find_and_book(page, shots, place="MG Road") -> int:
    """Type a place, open the station, book its free connector; returns the booking id."""
    page.get_by_label("Or type a place").fill(place)
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text(f"Nearest first from {place}.")).to_be_visible()
    card = page.locator("article.station").first
    expect(card.get_by_role("link", name="MG Road Metro Hub")).to_be_visible()
    expect(card.locator("[data-open]")).to_have_text("Open")
    shots(page, "find")
    card.get_by_role("link", name="MG Road Metro Hub").click()
    expect(page.get_by_role("heading", name=re.compile("MG Road Metro Hub"))).to_be_visible()
    expect(page.locator('[data-state="available"]')).to_have_count(1)
    shots(page, "station")
    page.get_by_role("button", name=re.compile("^Book ")).click()
    expect(page.get_by_text("Held for you. Pay within")).to_be_visible()
    expect(page.locator("time.countdown")).to_have_text(re.compile(r"^\d+:\d\d$"))
    shots(page, "held")
    return int(re.search(r"/bookings/(\d+)", page.url).group(1))


def pay(page, shots, card="4242 4242 4242 4242", kwh=None, preset=None, step="paid"):
    """Choose the quota and pay by card; waits for the answer page."""
    if kwh is not None:
        page.get_by_label("Another amount of energy").check()
        page.get_by_label("Energy in kWh").fill(str(kwh))
        expect(page.locator("#quote")).to_contain_text(f"for {float(kwh):g} kWh")
    elif preset is not None:
        page.get_by_role("radio", name=re.compile(rf"^{preset} kWh")).check()
        expect(page.locator("#quote")).to_contain_text(f"for {float(preset):g} kWh")
    page.get_by_label("Card", exact=True).check()
    page.get_by_label("Card number").fill(card)
    shots(page, f"{step}-form")
    page.get_by_role("button", name="Pay and confirm").click()
    page.wait_for_load_state("networkidle")
    shots(page, step)


def scan(page, connector_id: int, base_url: str) -> str:
    """The phone camera reads the QR code the console prints for the connector; returns the URL opened."""
    from webapp.models import Connector
    from webapp.services.fleet import qr

    release_db()
    svg = qr.svg_for_connector(db.session.get(Connector, connector_id), base_url + "/")
    release_db()
    url = decode_svg(svg)
    page.goto(url)
    return url


def start_charging(page, shots):
    """Press Start charging on the charger page and wait until the charge flows."""
    expect(page.get_by_role("heading", name=re.compile(r"^Charger E2E-CP-1"))).to_be_visible()
    shots(page, "scanned")
    page.get_by_role("button", name=re.compile("Start charging")).click()
    expect(page.get_by_text("The door is unlocked")).to_be_visible()
    expect(page.locator("#live-session")).to_have_attribute("data-status", "CHARGING")
    expect(page.locator("[data-energy-wh]")).not_to_have_attribute("data-energy-wh", "0")
    shots(page, "charging")


def charge_from_registration(page, shots, base_url: str, preset: int) -> int:
    """Register, book, pay for a `preset` kWh quota, scan the QR code and start charging; returns the booking id."""
    register(page, shots)
    booking_id = find_and_book(page, shots)
    pay(page, shots, preset=preset)
    scan(page, booking_row(booking_id).connector_id, base_url)
    release_db()
    start_charging(page, shots)
    return booking_id


def booking_row(booking_id):
    """A detached snapshot of the booking's columns; the test thread's transaction is ended at once
    (on SQLite an open read would hold the write lock and stall the live server)."""
    from types import SimpleNamespace

    from webapp.models import Booking

    release_db()
    booking = db.session.get(Booking, booking_id)
    snapshot = SimpleNamespace(**{c.key: getattr(booking, c.key) for c in Booking.__table__.columns})
    release_db()
    return snapshot


def rows(query) -> list:
    """Run a read of columns and end the transaction at once; returns plain values (tuples for several)."""
    release_db()
    values = [tuple(r) if len(r) > 1 else r[0] for r in db.session.execute(query).all()]
    release_db()
    return values
