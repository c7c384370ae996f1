"""Meter values mean what OCPP 1.6 says, from a simulated three-phase charger over a real WebSocket.

Per-phase registers are not totals (their sum is, when no total is sent), kWh and kW are scaled, the
Inlet meter and the Body temperature are not the outlet's energy, every reading context counts, and the
quota stop fires at the energy really delivered. The meter starts at 0 Wh, as a new charger's does, so a
phase read as the total shows up as a third of the energy.
"""
import pytest
from sqlalchemy import select

from device.meter import MeterFormat
from tests.conftest import release_db
from webapp.extensions import db
from webapp.models import Booking, ChargingSession, MeterSample
from webapp.services.booking import bookings
from webapp.services.fleet import chargers

PER_PHASE = MeterFormat(phases=3, total=False)
FORMATS = {
    "per-phase only": PER_PHASE,
    "per-phase plus total": MeterFormat(phases=3, total=True),
    "kWh and kW, per-phase only": MeterFormat(phases=3, total=False, energy_unit="kWh", power_unit="kW"),
    "Outlet phases, Inlet register, Body temperature, Voltage and Current":
        MeterFormat(phases=3, total=False, extras=True),
}


@pytest.fixture
def staff(factory, station):
    user = factory.user(role="operator")
    user.stations = [station]
    db.session.commit()
    return user


@pytest.fixture
def three_phase(live_server, make_charger, sim):
    """three_phase(fmt, cp_id) -> a connected simulator whose energy flows only when the test delivers it."""

    def make(fmt, cp_id="CP-3PH-1"):
        password = make_charger(cp_id, connectors=1)
        charger = sim.add(cp_id, live_server.ws_url, password=password, connectors=1, meter_interval=3600,
                          time_scale=0, meter_format=fmt, meter_wh=0, max_power_kw=22.0)
        assert charger.connect() == "Accepted"
        charger.wait_status(1, "Available")
        return charger

    return make


def session(tx) -> ChargingSession:
    release_db()
    db.session.expire_all()
    return db.session.get(ChargingSession, tx)


def start_charging(charger, id_tag) -> int:
    assert charger.swipe(id_tag, 1) == "Accepted"
    charger.wait_status(1, "Charging")
    charger.wait_for(lambda c: (c.transaction_id(1) or 0) > 0, message="no transaction id")
    return charger.transaction_id(1)


@pytest.mark.parametrize("fmt", FORMATS.values(), ids=FORMATS.keys())
def test_three_phase_readings_give_the_outlet_total(three_phase, staff, fmt):
    charger = three_phase(fmt)
    tx = start_charging(charger, staff.id_tag)
    charger.deliver(1, 1500)
    sent = charger.deliver(1, 1005)  # 1.005 kWh: a kWh value that a truncation turns into 1004 Wh
    s = session(tx)
    assert (s.meter_start, s.energy_wh) == (0, 2505), "the energy is the sum of the phases (or the total)"
    assert s.power_w == 22000, "the power is the sum of the phases (or the total), in W"
    stored = db.session.execute(select(MeterSample.measurand, MeterSample.phase, MeterSample.location)
                                .where(MeterSample.session_id == tx)).all()
    assert len(stored) == 2 * len(sent["sampledValue"]), "every sampled value is stored as sent"
    assert {("Energy.Active.Import.Register", phase, "Outlet") for phase in ("L1", "L2", "L3")} <= set(stored)
    charger.stop_local(1)
    charger.wait_status(1, "Finishing")
    s = session(tx)
    assert (s.meter_stop, s.energy_wh) == (2505, 2505)


def test_every_reading_context_counts(three_phase, staff):
    charger = three_phase(MeterFormat(phases=3, total=True, extras=True))
    tx = start_charging(charger, staff.id_tag)
    expected = 0
    for context, wh in (("Sample.Periodic", 400), ("Sample.Clock", 300), ("Interruption.Begin", 200),
                        ("Interruption.End", 100), ("Trigger", 50)):
        charger.deliver(1, wh, context=context)
        expected += wh
        assert session(tx).energy_wh == expected, f"a {context} reading moves the session"
        assert session(tx).power_w == 22000, "the total power, not the last phase's"
    contexts = set(db.session.execute(select(MeterSample.context).where(MeterSample.session_id == tx)).scalars())
    assert {"Sample.Periodic", "Sample.Clock", "Interruption.Begin", "Interruption.End", "Trigger"} <= contexts
    temperatures = db.session.execute(select(MeterSample.value).where(
        MeterSample.session_id == tx, MeterSample.measurand == "Temperature",
        MeterSample.location == "Body")).scalars().all()
    assert temperatures and set(temperatures) == {41.5}, "a measurand that is not energy is kept, not counted"


def test_quota_stop_fires_at_the_quota_on_a_per_phase_meter(three_phase, factory, run_jobs):
    charger = three_phase(PER_PHASE, "CP-3PH-Q")
    driver = factory.user()
    release_db()
    booking = bookings.place_hold(driver, chargers.get_by_cp_id("CP-3PH-Q").connectors[0].id)
    bookings.pay(driver, booking.id, 5, "card", "4242 4242 4242 4242", f"key-{booking.id}")
    run_jobs()  # ReserveNow, if the hold sends one
    tx = start_charging(charger, driver.id_tag)
    for _ in range(3):
        charger.deliver(1, 1500)
    run_jobs()
    assert session(tx).energy_wh == 4500
    assert not charger.received_calls("RemoteStopTransaction"), "4.5 kWh of a 5 kWh quota: keep charging"
    charger.deliver(1, 1500)
    run_jobs()
    charger.wait_for(lambda c: c.received_calls("RemoteStopTransaction"), timeout=5,
                     message="the quota stop at 6 kWh of a 5 kWh quota")
    charger.wait_status(1, "Finishing")
    s = session(tx)
    assert s.energy_wh == 6000 and s.stop_reason == "Remote"
    assert db.session.get(Booking, booking.id).status == "FINISHING"

