"""MeterValues stored in batches: set-based, deduplicated by the database, one bad reading isolated."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import ChargerEvent, ChargingSession, Connector, MeterSample
from webapp.services.charging import metering, transactions, writebehind
from webapp.timeutil import iso, utcnow

ENERGY, POWER, SOC = metering.ENERGY, metering.POWER, metering.SOC


def reading(cp_id, tx, when, wh, soc=None, connector=1, **extra):
    values = [{"value": str(wh), "measurand": ENERGY, "unit": "Wh", **extra},
              {"value": "7.2", "measurand": POWER, "unit": "kW", **extra}]
    if soc is not None:
        values.append({"value": str(soc), "measurand": SOC, "unit": "Percent"})
    return metering.Reading(cp_id, connector, tx, [{"timestamp": iso(when), "sampledValue": values}])


def sample_count(**where):
    query = select(func.count()).select_from(MeterSample)
    for column, value in where.items():
        query = query.where(getattr(MeterSample, column) == value)
    return db.session.execute(query).scalar_one()


@pytest.fixture
def two_sessions(factory):
    a, b = factory.charger(cp_id="MTR-A"), factory.charger(cp_id="MTR-B")
    staff = factory.user(role="admin"), factory.user(role="admin")
    t0 = utcnow() - timedelta(seconds=30)
    tx_a, _ = transactions.start("MTR-A", 1, staff[0].id_tag, 1000, t0)
    tx_b, _ = transactions.start("MTR-B", 2, staff[1].id_tag, 5000, t0)
    db.session.commit()
    return t0, tx_a, tx_b


def test_a_batch_of_several_chargers_moves_every_session(two_sessions):
    t0, tx_a, tx_b = two_sessions
    metering.record([reading("MTR-A", tx_a, t0 + timedelta(seconds=10), 1500, soc=40),
                     reading("MTR-B", tx_b, t0 + timedelta(seconds=10), 5200, connector=2),
                     reading("MTR-A", tx_a, t0 + timedelta(seconds=20), 1900, soc=42)])
    db.session.commit()
    a, b = db.session.get(ChargingSession, tx_a), db.session.get(ChargingSession, tx_b)
    assert (a.energy_wh, a.meter_last, a.power_w, a.soc_start, a.soc_last) == (900, 1900, 7200, 40, 42)
    assert (b.energy_wh, b.power_w) == (200, 7200)
    assert sample_count(session_id=tx_a) == 6 and sample_count(session_id=tx_b) == 2


def test_replays_in_the_same_batch_and_later_are_stored_once_and_change_nothing(two_sessions):
    t0, tx_a, _ = two_sessions
    early, late = reading("MTR-A", tx_a, t0 + timedelta(seconds=5), 1200, soc=30), \
        reading("MTR-A", tx_a, t0 + timedelta(seconds=25), 2000, soc=50)
    metering.record([early, early, late])
    db.session.commit()
    metering.record([early])  # the charger replays an old reading after a reconnect
    db.session.commit()
    session = db.session.get(ChargingSession, tx_a)
    assert sample_count(session_id=tx_a) == 6
    assert (session.meter_last, session.soc_last) == (2000, 50), "a replay must not move the session back"


def test_phase_and_location_are_part_of_the_reading_and_read_back_as_sent(two_sessions):
    t0, tx_a, _ = two_sessions
    when = t0 + timedelta(seconds=3)
    metering.record([reading("MTR-A", tx_a, when, 1100),
                     reading("MTR-A", tx_a, when, 1100, phase="L1"),
                     reading("MTR-A", tx_a, when, 1100, location="Inlet")])
    db.session.commit()
    rows = db.session.execute(select(MeterSample.phase, MeterSample.location)
                              .where(MeterSample.measurand == ENERGY, MeterSample.session_id == tx_a)).all()
    assert sorted(rows, key=str) == sorted([(None, None), ("L1", None), (None, "Inlet")], key=str)


def test_unknown_transaction_is_recorded_and_its_samples_kept_without_a_session(two_sessions):
    t0, tx_a, _ = two_sessions
    metering.record([reading("MTR-A", 999999, t0, 1234), reading("MTR-A", tx_a, t0 + timedelta(seconds=1), 1300)])
    db.session.commit()
    assert db.session.execute(select(ChargerEvent.detail).where(ChargerEvent.kind == "unknown_transaction")
                              ).scalars().all() == ["MeterValues for transaction 999999"]
    assert sample_count(value=1234.0) == 1
    assert db.session.execute(select(MeterSample.session_id).where(MeterSample.value == 1234.0)).scalar_one() is None
    assert db.session.get(ChargingSession, tx_a).meter_last == 1300


def test_a_transaction_of_another_connector_is_not_moved(two_sessions):
    t0, tx_a, tx_b = two_sessions
    metering.record([reading("MTR-A", tx_b, t0 + timedelta(seconds=1), 99999)])
    db.session.commit()
    assert db.session.get(ChargingSession, tx_b).meter_last == 5000


def test_a_connector_mentioned_first_in_meter_values_is_created(two_sessions):
    t0, _, _ = two_sessions
    metering.record([reading("MTR-A", None, t0, 10, connector=3)])
    db.session.commit()
    assert db.session.execute(select(Connector.status).join(Connector.charger)
                              .where(Connector.connector_id == 3)).scalar_one() == "Unavailable"
    assert sample_count(value=10.0) == 1


def test_one_bad_reading_in_a_group_commit_fails_alone(two_sessions, app):
    t0, tx_a, tx_b = two_sessions
    good = writebehind._Pending(reading("MTR-B", tx_b, t0 + timedelta(seconds=2), 5100, connector=2))
    bad = writebehind._Pending(reading("NO-SUCH-CHARGER", None, t0, 1))
    writebehind._flush_meter_values([good, bad])
    assert good.done.is_set() and bad.done.is_set()
    assert good.error is None and isinstance(bad.error, KeyError)
    db.session.remove()
    assert db.session.get(ChargingSession, tx_b).meter_last == 5100


def test_values_that_are_not_finite_numbers_are_no_reading(two_sessions):
    t0, tx_a, _ = two_sessions
    when = iso(t0 + timedelta(seconds=4))
    metering.record([metering.Reading("MTR-A", 1, tx_a, [{"timestamp": when, "sampledValue": [
        {"value": "NaN"}, {"value": "inf", "measurand": POWER}, {"value": "abc", "measurand": SOC},
        {"value": "1400"}]}])])
    db.session.commit()
    assert sample_count(session_id=tx_a) == 1
    assert db.session.get(ChargingSession, tx_a).meter_last == 1400


def test_connector_ids_are_cached_and_a_failed_batch_forgets_them(two_sessions, app):
    t0, tx_a, _ = two_sessions
    metering.record([reading("MTR-A", tx_a, t0 + timedelta(seconds=6), 1600)])
    db.session.commit()
    assert "MTR-A" in app.extensions["chargeway_connector_ids"]
    bad = writebehind._Pending(reading("NO-SUCH-CHARGER", None, t0, 1))
    writebehind._flush_meter_values([bad])
    assert isinstance(bad.error, KeyError) and "chargeway_connector_ids" in app.extensions
    assert "MTR-A" not in app.extensions["chargeway_connector_ids"]


def values(cp_id, tx, when, *sampled):
    return metering.Reading(cp_id, 1, tx, [{"timestamp": iso(when), "sampledValue": list(sampled)}])


def test_kwh_is_scaled_without_losing_a_watt_hour(two_sessions):
    t0, tx_a, _ = two_sessions
    metering.record([values("MTR-A", tx_a, t0 + timedelta(seconds=7),
                            {"value": "1.015", "measurand": ENERGY, "unit": "kWh"},
                            {"value": "7.2", "measurand": POWER, "unit": "kW"})])
    db.session.commit()
    session = db.session.get(ChargingSession, tx_a)
    assert (session.meter_last, session.energy_wh, session.power_w) == (1015, 15, 7200)  # not 1014


def test_an_energy_value_in_an_unknown_unit_is_stored_but_no_reading(two_sessions):
    t0, tx_a, _ = two_sessions
    metering.record([values("MTR-A", tx_a, t0 + timedelta(seconds=8),
                            {"value": "90000", "measurand": ENERGY, "unit": "varh"},
                            {"value": "1700", "measurand": ENERGY, "unit": "Wh", "location": "Outlet"})])
    db.session.commit()
    assert sample_count(session_id=tx_a, unit="varh") == 1
    assert db.session.get(ChargingSession, tx_a).meter_last == 1700, "90000 varh is not a Wh register"


def test_line_to_neutral_phases_add_up_and_line_to_line_and_neutral_do_not(two_sessions):
    t0, tx_a, _ = two_sessions
    phase = lambda p, wh: {"value": str(wh), "measurand": ENERGY, "unit": "Wh", "phase": p}  # noqa: E731
    metering.record([values("MTR-A", tx_a, t0 + timedelta(seconds=9), phase("L1-N", 600), phase("L2-N", 600),
                            phase("L3-N", 600), phase("N", 50), phase("L1-L2", 999),
                            {"value": "9000", "measurand": ENERGY, "unit": "Wh", "location": "Inlet"})])
    db.session.commit()
    assert db.session.get(ChargingSession, tx_a).meter_last == 1800
