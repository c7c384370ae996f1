"""A poll that is answered while the page is being left must not start a second navigation: the booking
page's watcher (every 3 s) asked while the driver pressed Pay, and its answer (HX-Redirect: the status
changed) came back after the pay form's own navigation, which it replaced, losing "Payment authorised".
Here every watcher answer is held back 2.5 s and Pay is pressed while one is in flight (static/js/app.js)."""
import threading
import time

import pytest
from flask import request
from playwright.sync_api import expect

from .steps import find_and_book, register


@pytest.fixture
def slow_watcher(app):
    """The booking watcher's answers held back 2.5 s; `asked` is set when one is held."""
    original = app.view_functions["driver.booking"]
    asked = threading.Event()

    def held_back(*args, **kwargs):
        if request.args.get("seen"):
            asked.set()
            time.sleep(2.5)
        return original(*args, **kwargs)

    app.view_functions["driver.booking"] = held_back
    yield asked
    app.view_functions["driver.booking"] = original


@pytest.mark.sim(time_scale=120, meter_interval=0.4)
def test_a_watcher_answer_arriving_after_pay_does_not_replace_the_payment_page(phone, shots, charger, slow_watcher):
    page = phone
    register(page, shots)
    find_and_book(page, shots)
    page.get_by_label("Another amount of energy").check()
    page.get_by_label("Energy in kWh").fill("2")
    expect(page.locator("#quote")).to_contain_text("for 2 kWh")
    page.get_by_label("Card", exact=True).check()
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    slow_watcher.clear()
    assert slow_watcher.wait(10), "the booking page's watcher never asked"
    page.get_by_role("button", name="Pay and confirm").click()  # while the watcher's question is in flight
    expect(page.get_by_text("Payment authorised: your booking is confirmed.")).to_be_visible()
    time.sleep(3.5)  # past the held-back answer (and the next watcher's, which asks about CONFIRMED)
    expect(page.get_by_text("Payment authorised: your booking is confirmed.")).to_be_visible()
    assert page.errors == []
