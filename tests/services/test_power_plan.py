"""services.charging.power_plan: the station's power plan (pure), examples and properties."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.services.charging.power_plan import (FAST, SOLAR, STANDARD, LimitWindow, Session, changes, plan,
                                                 sent_plan, station_limit_kw, water_fill)

T0 = datetime(2025, 6, 1, 8, tzinfo=timezone.utc)
TOL = 1e-6


def session(sid, max_kw=22.0, mode=FAST, floor=0.0, ev=None, standard=None, minute=0, sent=None):
    return Session(sid, max_kw, mode, floor, ev, standard, T0 + timedelta(minutes=minute), sent)


def test_two_sessions_share_a_22_kw_limit_and_a_third_rebalances():
    two = plan(22, [session(1), session(2, minute=1)])
    assert two.limits == {1: 11, 2: 11} and two.waiting == ()
    three = plan(22, [session(1), session(2, minute=1), session(3, minute=2)])
    assert three.limits == pytest.approx({1: 22 / 3, 2: 22 / 3, 3: 22 / 3})


def test_left_over_goes_to_those_who_can_take_it():
    result = plan(22, [session(1, ev=3.7), session(2, max_kw=7.4), session(3)])
    assert result.limits == pytest.approx({1: 3.7, 2: 7.4, 3: 10.9})


def test_standard_is_capped_at_the_station_power_and_no_limit_gives_caps():
    result = plan(None, [session(1, mode=STANDARD, standard=7.0), session(2, ev=11)])
    assert result.limits == {1: 7.0, 2: 11}


def test_floors_first_then_the_fair_level():
    result = plan(10, [session(1, floor=6), session(2), session(3)])
    assert result.limits == pytest.approx({1: 6, 2: 2, 3: 2})


def test_when_floors_exceed_the_limit_the_newest_waits_at_zero():
    result = plan(10, [session("b", floor=4, minute=1), session("a", floor=4), session("c", floor=4, minute=2),
                       session("d", floor=1, minute=3)])
    assert result.waiting == ("c",)
    assert result.limits == pytest.approx({"a": 4, "b": 4, "c": 0, "d": 2})  # d's smaller floor still fits


def test_solar_follows_its_surplus_share_but_keeps_its_floor():
    sessions = [session(1, mode=SOLAR, floor=1.4), session(2, mode=SOLAR, floor=1.4, ev=2.0, minute=1),
                session(3, minute=2)]
    sunny = plan(22, sessions, solar_surplus_kw=9.0)
    assert sunny.limits == pytest.approx({1: 7.0, 2: 2.0, 3: 13.0})
    cloudy = plan(22, sessions, solar_surplus_kw=1.0)
    assert cloudy.limits == pytest.approx({1: 1.4, 2: 1.4, 3: 19.2})


def test_the_station_limit_follows_the_time_of_day_in_the_station_zone():
    windows = [LimitWindow(time(18), time(22), 11.0), LimitWindow(time(23), time(6), 30.0),
               LimitWindow(time(19), time(20), 7.0)]
    kolkata = "Asia/Kolkata"  # UTC+05:30
    at_local = lambda h, m=0: datetime(2025, 6, 1, h, m, tzinfo=timezone.utc) - timedelta(hours=5, minutes=30)  # noqa: E731
    assert station_limit_kw(22.0, windows, at_local(12), kolkata) == 22.0
    assert station_limit_kw(22.0, windows, at_local(18), kolkata) == 11.0
    assert station_limit_kw(22.0, windows, at_local(19, 30), kolkata) == 7.0  # overlapping: the lowest
    assert station_limit_kw(22.0, windows, at_local(22), kolkata) == 22.0  # the end is excluded
    assert station_limit_kw(None, windows, at_local(23, 30), kolkata) == 30.0  # across midnight
    assert station_limit_kw(None, windows, at_local(5, 59), kolkata) == 30.0
    assert station_limit_kw(None, windows, at_local(6), kolkata) is None


def test_changes_hysteresis_pauses_and_the_limit():
    old = {1: 11.0, 2: 11.0, 3: 0.0}
    assert changes(old, {1: 11.4, 2: 10.6, 3: 0.0}, 0.5) == {}
    assert changes(old, {1: 11.6, 2: 10.4, 3: 0.0}, 0.5) == {1: 11.6, 2: 10.4}
    assert changes(old, {1: 11.0, 2: 11.0, 3: 0.2, 4: 5.0}, 0.5) == {3: 0.2, 4: 5.0}  # a resume and a newcomer
    assert changes({1: 0.3}, {1: 0.0}, 0.5) == {1: 0.0}  # a pause always goes out
    # The limit dropped by less than the threshold per session: the decreases must still go out.
    assert changes(old, {1: 10.8, 2: 10.8, 3: 0.0}, 0.5, limit_kw=21.6) == {1: 10.8, 2: 10.8}
    assert changes(old, {1: 10.6, 2: 10.9, 3: 0.0}, 0.5, limit_kw=21.6) == {1: 10.6}  # the largest one sufficed


def test_sent_plan_and_unknown_mode():
    assert sent_plan([session(1, sent=7.0), session(2)]) == {1: 7.0}
    with pytest.raises(ValueError):
        Session(1, 22, "turbo")


def test_water_fill_examples():
    assert water_fill(10, []) == []
    assert water_fill(10, [(0, 3), (0, 3)]) == [3, 3]
    assert water_fill(10, [(0, 3), (0, 20)]) == [3, 7]
    assert water_fill(10, [(5, 20), (0, 20)]) == [5, 5]
    assert water_fill(10, [(6, 20), (0, 20)]) == [6, 4]


# ---- properties ---------------------------------------------------------------------------------------------
kw = st.floats(min_value=0, max_value=150, allow_nan=False, allow_infinity=False)
sessions_strategy = st.lists(st.builds(
    lambda sid, max_kw, mode, floor, ev, standard, minute: session(sid, max_kw, mode, floor, ev, standard, minute),
    st.integers(0, 10_000), st.floats(1, 350), st.sampled_from([FAST, STANDARD, SOLAR]), st.floats(0, 20),
    st.none() | st.floats(1, 250), st.none() | st.floats(1, 50), st.integers(0, 600)),
    max_size=12, unique_by=lambda s: s.id)


@settings(max_examples=300, deadline=None)
@given(limit=st.none() | kw, sessions=sessions_strategy, surplus=kw)
def test_plan_properties(limit, sessions, surplus):
    result = plan(limit, sessions, surplus)
    limits = result.limits
    assert set(limits) == {s.id for s in sessions}
    if limit is not None:
        assert sum(limits.values()) <= limit + TOL
    for s in sessions:
        assert 0 <= limits[s.id] <= s.cap_kw + TOL
    floors = sum(min(s.floor_kw, s.cap_kw) for s in sessions)
    if limit is None or floors <= limit:
        assert result.waiting == ()
        assert all(limits[s.id] >= min(s.floor_kw, s.cap_kw) - TOL for s in sessions)
    for sid in result.waiting:
        assert limits[sid] == 0
    assert plan(limit, list(reversed(sessions)), surplus) == result  # deterministic, whatever the order


@settings(max_examples=200, deadline=None)
@given(limit=kw, sessions=sessions_strategy, surplus=kw)
def test_solar_sessions_stay_within_floor_or_surplus(limit, sessions, surplus):
    limits = plan(limit, sessions, surplus).limits
    solar = [s for s in sessions if s.mode == SOLAR]
    total_solar_above_floors = sum(max(0.0, limits[s.id] - min(s.floor_kw, s.cap_kw)) for s in solar)
    assert total_solar_above_floors <= surplus + TOL


@settings(max_examples=200, deadline=None)
@given(limit=kw, old_sessions=sessions_strategy, surplus=kw, threshold=st.floats(0, 5))
def test_changes_keep_the_limit(limit, old_sessions, surplus, threshold):
    new = plan(limit, old_sessions, surplus).limits
    old = plan(limit * 1.3, old_sessions, surplus * 0.5).limits
    sent = changes(old, new, threshold, limit)
    in_force = {sid: sent.get(sid, old[sid]) for sid in new}
    assert sum(in_force.values()) <= limit + TOL
    assert all(abs(in_force[sid] - new[sid]) <= threshold + TOL or sid in sent for sid in new)


# -- the idle connectors' defaults -------------------------------------------------------------------------------
from webapp.services.charging.power_plan import idle_defaults, worth_sending  # noqa: E402


def test_idle_defaults_share_what_the_sessions_leave():
    assert idle_defaults(22.0, 0.0, {"a": 22.0, "b": 22.0}) == {"a": 11.0, "b": 11.0}
    assert idle_defaults(22.0, 15.0, {"a": 3.7, "b": 22.0}) == {"a": 3.5, "b": 3.5}
    assert idle_defaults(22.0, 20.0, {"a": 1.0, "b": 22.0}) == {"a": 1.0, "b": 1.0}
    assert idle_defaults(22.0, 22.0, {"a": 22.0}) == {"a": 0.0}  # the sessions take it all
    assert idle_defaults(22.0, 0.0, {}) == {}


@settings(max_examples=200, deadline=None)
@given(st.floats(0, 100), st.floats(0, 100), st.dictionaries(st.integers(0, 9), st.floats(0, 50), max_size=6))
def test_sessions_and_chargers_starting_on_their_own_never_pass_the_limit(limit, planned, idle):
    planned = min(planned, limit)
    found = idle_defaults(limit, planned, idle)
    assert set(found) == set(idle)
    assert planned + sum(found.values()) <= limit + TOL
    assert all(0 <= found[k] <= idle[k] + TOL for k in idle)


def test_worth_sending_lowers_always_raises_past_the_threshold():
    assert worth_sending(None, 5.0, 1.0)  # none of ours yet
    assert worth_sending(5.0, 4.97, 1.0) is False  # under the rounding of amperes
    assert worth_sending(5.0, 4.8, 1.0) and worth_sending(5.0, 6.1, 1.0)
    assert worth_sending(5.0, 5.9, 1.0) is False  # no flapping upwards
    assert worth_sending(0.0, 0.5, 1.0) and worth_sending(0.5, 0.0, 1.0)  # pause and resume


def test_the_next_limit_change_is_the_next_window_edge_on_the_stations_clock_dst_included():
    from datetime import UTC, datetime, time

    from webapp.services.charging.power_plan import LimitWindow, next_change

    evening = [LimitWindow(time(18, 0), time(22, 0), 11.0)]
    kolkata_noon = datetime(2026, 12, 1, 6, 30, tzinfo=UTC)  # 12:00 IST
    assert next_change(evening, kolkata_noon, "Asia/Kolkata") == datetime(2026, 12, 1, 12, 30, tzinfo=UTC)
    in_window = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)  # 18:30 IST: the end is next
    assert next_change(evening, in_window, "Asia/Kolkata") == datetime(2026, 12, 1, 16, 30, tzinfo=UTC)
    after = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)  # 22:30 IST: tomorrow's start
    assert next_change(evening, after, "Asia/Kolkata") == datetime(2026, 12, 2, 12, 30, tzinfo=UTC)
    overnight = [LimitWindow(time(22, 0), time(6, 0), 7.0)]
    # Berlin leaves summer time on 2026-10-25: 06:00 that morning is 05:00 UTC, not 04:00.
    assert next_change(overnight, datetime(2026, 10, 25, 1, 0, tzinfo=UTC), "Europe/Berlin") == datetime(
        2026, 10, 25, 5, 0, tzinfo=UTC)
    assert next_change([], kolkata_noon, "Asia/Kolkata") is None
