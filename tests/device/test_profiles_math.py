"""device.profiles: the OCPP 1.6 composite-schedule maths the simulator obeys, at fixed times."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from device.profiles import Profile, ProfileRejected, ProfileStore, from_watts

T0 = datetime(2025, 1, 6, 12, 0, tzinfo=timezone.utc)  # a Monday
TX = 42


def at(hours: float = 0, day: datetime = T0) -> datetime:
    return day + timedelta(hours=hours)


def profile(pid=1, connector=1, stack=0, purpose="TxDefaultProfile", kind="Absolute", unit="W",
            periods=((0, 11000),), start=T0, recurrency=None, duration=None, valid_from=None, valid_to=None,
            tx=None, min_rate=None, received=T0) -> Profile:
    schedule = {"charging_rate_unit": unit,
                "charging_schedule_period": [{"start_period": s, "limit": v} for s, v, *_ in periods]}
    for i, (_, _, *phases) in enumerate(periods):
        if phases:
            schedule["charging_schedule_period"][i]["number_phases"] = phases[0]
    optional = {"start_schedule": start and start.isoformat(), "duration": duration, "min_charging_rate": min_rate}
    schedule.update({k: v for k, v in optional.items() if v is not None})
    body = {"charging_profile_id": pid, "stack_level": stack, "charging_profile_purpose": purpose,
            "charging_profile_kind": kind, "charging_schedule": schedule}
    extra = {"recurrency_kind": recurrency, "transaction_id": tx,
             "valid_from": valid_from and valid_from.isoformat(), "valid_to": valid_to and valid_to.isoformat()}
    body.update({k: v for k, v in extra.items() if v is not None})
    return Profile.from_request(connector, body, received)


def store_with(*profiles: Profile, tx: int | None = TX, **limits) -> ProfileStore:
    store = ProfileStore(**limits)
    for p in profiles:
        store.install(p, tx)
    return store


def composite(store, hours, connector=1, tx=TX, origin=T0, phases=3):
    return store.composite_w(connector, tx, at(hours), origin, phases)


def test_absolute_periods_duration_and_before_start():
    store = store_with(profile(periods=((0, 11000), (1800, 7000)), duration=3600))
    assert [composite(store, h) for h in (-0.1, 0, 0.49, 0.5, 0.99, 1.0)] == [None, 11000, 11000, 7000, 7000, None]


def test_absolute_without_start_schedule_starts_when_received():
    store = store_with(profile(start=None, received=at(2), duration=600))
    assert (composite(store, 1.9), composite(store, 2.1), composite(store, 2.2)) == (None, 11000, None)


def test_relative_runs_from_the_transaction_start():
    store = store_with(profile(kind="Relative", start=None, periods=((0, 3000), (600, 9000))))
    origin = at(5)
    assert store.composite_w(1, TX, at(5.1), origin, 3) == 3000
    assert store.composite_w(1, TX, at(5.2), origin, 3) == 9000


def test_recurring_daily_across_midnight():
    night = profile(kind="Recurring", recurrency="Daily", start=datetime(2025, 1, 1, 22, tzinfo=timezone.utc),
                    duration=8 * 3600, periods=((0, 11000), (4 * 3600, 7000)))
    store = store_with(night)
    day = datetime(2025, 1, 5, tzinfo=timezone.utc)
    values = [store.composite_w(1, TX, day + timedelta(hours=h), day, 3) for h in (21.9, 23, 25.5, 27, 29.9, 30.1)]
    assert values == [None, 11000, 11000, 7000, 7000, None]
    assert store.composite_w(1, TX, datetime(2025, 1, 1, 21, tzinfo=timezone.utc), day, 3) is None  # before it began


def test_recurring_weekly_repeats_every_seven_days():
    store = store_with(profile(kind="Recurring", recurrency="Weekly", start=T0, duration=3600))
    assert [composite(store, h) for h in (0.5, 24.5, 7 * 24 + 0.5, 14 * 24 + 1.5)] == [11000, None, 11000, None]


def test_valid_from_and_valid_to_bound_a_profile():
    store = store_with(profile(valid_from=at(1), valid_to=at(2)))
    assert [composite(store, h) for h in (0.5, 1, 1.99, 2)] == [None, 11000, 11000, None]


def test_highest_stack_with_a_limit_prevails_and_lower_one_returns_when_it_ends():
    base = profile(pid=1, stack=0, periods=((0, 11000),))
    peak = profile(pid=2, stack=3, periods=((0, 5000),), duration=3600)
    store = store_with(base, peak)
    assert (composite(store, 0.5), composite(store, 1.5)) == (5000, 11000)
    higher_but_larger = profile(pid=3, stack=5, periods=((0, 20000),), duration=1800)
    store.install(higher_but_larger, TX)
    assert (composite(store, 0.25), composite(store, 0.75)) == (20000, 5000)  # the stack level wins, not the minimum


def test_connector_default_beats_connector_zero_default_on_equal_stack():
    store = store_with(profile(pid=1, connector=0, periods=((0, 4000),)), profile(pid=2, connector=1))
    assert composite(store, 1) == 11000
    assert composite(store, 1, connector=2) == 4000  # connector 0's default applies to every connector


def test_tx_profile_overrides_defaults_only_for_its_transaction():
    store = store_with(profile(pid=1, stack=5, periods=((0, 3000),)),
                       profile(pid=2, stack=0, purpose="TxProfile", kind="Relative", start=None,
                               periods=((0, 16000),)))
    assert composite(store, 1) == 16000
    assert composite(store, 1, tx=TX + 1) == 3000  # another transaction: only the default applies
    store.end_transaction(TX)
    assert composite(store, 1) == 3000


def test_charge_point_max_caps_the_composite():
    store = store_with(profile(pid=1, connector=0, purpose="ChargePointMaxProfile", periods=((0, 7000),)),
                       profile(pid=2, periods=((0, 11000), (3600, 5000))))
    assert (composite(store, 0.5), composite(store, 1.5), composite(store, 1, connector=0)) == (7000, 5000, 7000)


def test_amps_become_watts_with_the_phases_at_230_v():
    store = store_with(profile(unit="A", periods=((0, 16), (3600, 16, 1))))
    assert composite(store, 0.5) == pytest.approx(16 * 230 * 3)
    assert composite(store, 0.5, phases=1) == pytest.approx(16 * 230)
    assert composite(store, 1.5) == pytest.approx(16 * 230)  # numberPhases of the period wins
    assert from_watts(11040, "A", 3) == 16.0 and from_watts(7399.99, "W", 3) == 7399.9


def test_a_limit_under_min_charging_rate_pauses():
    store = store_with(profile(unit="A", periods=((0, 4), (600, 10)), min_rate=6))
    assert (composite(store, 0.1), composite(store, 0.2)) == (0, pytest.approx(10 * 230 * 3))


@pytest.mark.parametrize("changes, why", [
    ({"stack": 9}, "stackLevel"), ({"unit": "A"}, "chargingRateUnit"),
    ({"periods": tuple((i * 60, 1000) for i in range(5))}, "MaxPeriods"),
    ({"purpose": "ChargePointMaxProfile"}, "connector 0"), ({"connector": 0, "purpose": "TxProfile"}, "TxProfile"),
    ({"purpose": "TxProfile", "tx": TX + 1}, "TxProfile"),
])
def test_install_refuses_what_the_charger_cannot_take(changes, why):
    store = ProfileStore(max_stack_level=8, max_periods=4, units=("W",))
    with pytest.raises(ProfileRejected, match=why):
        store.install(profile(**changes), TX)
    assert store.profiles == []


def test_tx_profile_needs_a_running_transaction():
    with pytest.raises(ProfileRejected):
        ProfileStore().install(profile(purpose="TxProfile"), None)
    bound = ProfileStore().install(profile(purpose="TxProfile"), TX)
    assert bound.transaction_id == TX


@pytest.mark.parametrize("periods", [((60, 1000),), ((0, 1000), (0, 2000)), ((0, 1000), (600, 1), (300, 2)),
                                     ((0, -1),)])
def test_unusable_periods_are_rejected(periods):
    with pytest.raises(ProfileRejected):
        profile(periods=periods)


def test_recurring_needs_its_kind_and_start():
    with pytest.raises(ProfileRejected):
        profile(kind="Recurring")
    with pytest.raises(ProfileRejected):
        profile(kind="Recurring", recurrency="Daily", start=None)


def test_replacing_by_id_or_stack_and_purpose_and_the_installed_maximum():
    store = store_with(profile(pid=1, stack=0), profile(pid=2, stack=1), max_installed=2)
    store.install(profile(pid=1, stack=2, periods=((0, 1000),)), TX)  # same id: replaced
    assert sorted((p.id, p.stack_level) for p in store.profiles) == [(1, 2), (2, 1)]
    store.install(profile(pid=7, stack=1), TX)  # same stack level and purpose on connector 1: replaced
    assert sorted(p.id for p in store.profiles) == [1, 7]
    with pytest.raises(ProfileRejected, match="MaxChargingProfilesInstalled"):
        store.install(profile(pid=8, stack=3), TX)


def test_clear_by_id_connector_purpose_stack_or_all():
    def fresh():
        return store_with(profile(pid=1, connector=0, purpose="ChargePointMaxProfile"),
                          profile(pid=2, connector=1, stack=1), profile(pid=3, connector=2, stack=1),
                          profile(pid=4, connector=1, stack=2, purpose="TxProfile"))
    store = fresh()
    assert store.clear(profile_id=3, connector_id=1) == 1  # the id alone decides
    assert store.clear(profile_id=99) == 0
    assert store.clear(connector_id=1, purpose="TxDefaultProfile") == 1
    assert [p.id for p in store.profiles] == [1, 4]
    store = fresh()
    assert store.clear(stack_level=1) == 2 and store.clear(purpose="ChargePointMaxProfile") == 1
    assert fresh().clear() == 4


def test_composite_schedule_lists_every_change_in_the_window_merged():
    store = store_with(profile(pid=1, connector=0, purpose="ChargePointMaxProfile", periods=((0, 20000),)),
                       profile(pid=2, periods=((0, 11000), (1800, 7000), (2700, 7000)), duration=3600))
    periods = store.composite_schedule(1, TX, at(0), 7200, None, 3, 22000, "W")
    assert periods == [(0, 11000), (1800, 7000), (3600, 20000)]
    amps = store.composite_schedule(1, TX, at(0), 7200, None, 3, 22000, "A")
    assert amps == [(0, 15.9), (1800, 10.1), (3600, 28.9)]
    assert ProfileStore().composite_schedule(1, None, at(0), 600, None, 1, 7400, "W") == [(0, 7400)]


def test_composite_schedule_of_a_daily_profile_over_two_days():
    night = profile(kind="Recurring", recurrency="Daily", start=datetime(2025, 1, 1, 22, tzinfo=timezone.utc),
                    duration=8 * 3600, periods=((0, 5000),))
    periods = store_with(night).composite_schedule(1, TX, at(0), 48 * 3600, None, 3, 22000, "W")
    assert periods == [(0, 22000), (10 * 3600, 5000), (18 * 3600, 22000), (34 * 3600, 5000), (42 * 3600, 22000)]
