"""Duration and average power are in the charger's own time; a charger whose clock plainly disagrees with
its energy is shown as such on the receipt and the live page, never corrected."""
import re

from .flow import meter, status, stop_tx
from .pages import fragment_headers


def test_a_clock_that_disagrees_with_the_energy_is_said_not_corrected(client, charging, clock):
    booking_id, tx = charging
    clock.advance(seconds=60)
    meter(tx, 1_004_000, 22000)  # 4 kWh in one minute on a 22 kW connector would be 240 kW
    live = client.get(f"/bookings/{booking_id}/live", headers=fragment_headers("live-session")).get_data(as_text=True)
    assert 'data-average-kw="240.00"' in live and "(the charger's clock looks wrong)" in live
    stop_tx(tx, 1_004_000)
    status("Available")
    page = client.get(f"/bookings/{booking_id}/receipt").get_data(as_text=True)
    assert 'data-average-kw="240.00"' in page and 'data-duration-s="60"' in page and 'id="clock-suspect"' in page


def test_a_stop_stamped_at_the_start_has_no_average(client, charging, clock):
    booking_id, tx = charging
    meter(tx, 1_001_000, 22000)
    stop_tx(tx, 1_001_000)  # the frozen clock: StopTransaction carries the StartTransaction's time
    status("Available")
    page = client.get(f"/bookings/{booking_id}/receipt").get_data(as_text=True)
    assert re.search(r'data-average-kw="0.00">not known<', page) and 'id="clock-suspect"' in page


def test_elapsed_follows_the_chargers_readings_when_its_clock_runs_ahead(client, charging, clock):
    """A time-scaled charger stamps its readings ahead of the server's clock: the live page follows them."""
    from datetime import timedelta

    from webapp import timeutil
    from webapp.extensions import db
    from webapp.services.charging import transactions

    booking_id, tx = charging
    ahead = timeutil.iso(clock.now + timedelta(minutes=30))
    transactions.meter_values("CP-TEST-1", 1, tx, [{"timestamp": ahead, "sampledValue": [
        {"value": "1011000", "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]}])
    db.session.commit()
    live = client.get(f"/bookings/{booking_id}/live", headers=fragment_headers("live-session")).get_data(as_text=True)
    elapsed = int(re.search(r'data-elapsed-s="(\d+)"', live).group(1))
    assert 1799 <= elapsed <= 1800 and 'data-average-kw="22.00"' in live  # not the server's 0 s
