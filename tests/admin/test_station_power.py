"""The station's smart charging settings and panel: a power limit with time-of-day windows and the Standard
power in the station form (validated, audited, re-planning the live sessions), the plan on the station page,
and a charger's composite schedule asked on demand."""
import html
from datetime import datetime, timezone

import pytest

from webapp.extensions import db
from webapp.models import AuditLog, ChargingSession, Station
from webapp.services.charging import smart
from webapp.services.fleet import hours, power_limits
from webapp.services.platform import timers
from webapp.timeutil import utcnow

from .test_stations import GOOD


def edit(client, station, **change):
    return client.post(f"/admin/stations/{station.id}/edit", data={**GOOD, "name": station.name, **change})


def rebalances():
    db.session.commit()
    return [args for _, func, args in timers.backend().pending() if func == "jobs.smart.rebalance"]


def test_operator_sets_a_limit_with_windows_and_standard_power(operator_client, world):
    response = edit(operator_client, world.station, power_limit_kw="44", standard_kw="7.4",
                    power_windows="18:00-22:00 11, 22:00-06:00 30kW")
    assert response.status_code == 302
    station = db.session.get(Station, world.station.id)
    assert station.power_limit_kw == 44 and station.standard_kw == 7.4
    assert station.power_schedule == [["18:00", "22:00", 11.0], ["22:00", "06:00", 30.0]]
    entry = db.session.execute(db.select(AuditLog).where(AuditLog.action == "station.update")
                               .order_by(AuditLog.id.desc())).scalars().first()
    assert entry.before["power_limit_kw"] is None and entry.after["power_limit_kw"] == 44
    assert entry.after["power_schedule"] == [["18:00", "22:00", 11.0], ["22:00", "06:00", 30.0]]
    assert rebalances() == [(station.id,)]
    # Asia/Kolkata is UTC+5:30: 14:00 UTC is 19:30 there (the 11 kW window), 06:00 UTC is 11:30 (the default).
    assert smart.station_limit_kw(station, datetime(2026, 12, 1, 14, 0, tzinfo=timezone.utc)) == 11.0
    assert smart.station_limit_kw(station, datetime(2026, 12, 1, 6, 0, tzinfo=timezone.utc)) == 44.0
    form = operator_client.get(f"/admin/stations/{station.id}/edit").get_data(as_text=True)
    assert 'value="18:00-22:00 11, 22:00-06:00 30"' in form


def test_saving_without_a_power_change_does_not_replan(operator_client, world):
    assert edit(operator_client, world.station, address="Elsewhere 2").status_code == 302
    assert rebalances() == []


@pytest.mark.parametrize("change, message, field", [
    ({"power_limit_kw": "-1"}, "Station power limit (kW) must be between 0 and 10000", "power_limit_kw"),
    ({"power_limit_kw": "lots"}, "Station power limit (kW) must be a number", "power_limit_kw"),
    ({"standard_kw": "0.5"}, "Standard mode power (kW) must be between 1 and 10000", "standard_kw"),
    ({"power_windows": "evening 11"}, "'evening 11' is not a window like 18:00-22:00 11", "power_windows"),
    ({"power_windows": "18:00-18:00 11"}, "must not start and end at the same time", "power_windows"),
    ({"power_windows": "18:00-22:00 nan"}, "the limit must be a number of kW from 0 to 10000", "power_windows"),
    ({"power_windows": "25:00-02:00 5"}, "is not a window like", "power_windows"),
])
def test_power_settings_are_validated_next_to_the_field(operator_client, world, change, message, field):
    before = db.session.get(Station, world.station.id).power_limit_kw
    response = edit(operator_client, world.station, **change)
    body = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422 and message in body
    assert f'id="f-{field}-error"' in body
    db.session.rollback()
    assert db.session.get(Station, world.station.id).power_limit_kw == before and rebalances() == []


def test_schedule_text_round_trips():
    windows = power_limits.parse_schedule(" 08:00-12:00 7.5 ,22:00-06:00 0 ")
    assert windows == [["08:00", "12:00", 7.5], ["22:00", "06:00", 0.0]]
    assert power_limits.parse_schedule(power_limits.format_schedule(windows)) == windows
    assert power_limits.parse_schedule("") == []


def test_station_page_shows_the_plan(operator_client, world, factory):
    station = world.station
    station.power_limit_kw = 22.0
    for charger in station.chargers:
        charger.smart_config = {"SupportedFeatureProfiles": "Core,SmartCharging", "ChargeProfileMaxStackLevel": "3"}
    connector = world.charger.connectors[1]
    live = ChargingSession(connector_id=connector.id, id_tag="LIVE1", meter_start=0, started_at=utcnow(),
                           power_limit_kw=11.0, power_w=10_800)
    db.session.add(live)
    db.session.commit()
    page = operator_client.get(f"/admin/stations/{station.id}").get_data(as_text=True)
    assert "Smart charging" in page and "22 kW" in page
    row = page.split(f'data-session="{live.id}"')[1].split("</tr>")[0]
    assert "OWN-1 #2" in row and "fast" in row and "22.0 kW" in row and "11.0 kW" in row and "10.8 kW" in row
    assert f"/admin/chargers/{world.charger.id}/composite?connector=2" in page


def test_composite_of_a_charger_without_smart_charging_says_so(operator_client, world):
    body = operator_client.get(f"/admin/chargers/{world.charger.id}/composite?connector=1").get_data(as_text=True)
    assert "no Smart Charging profile" in body


def test_composite_of_another_operators_charger_is_refused(operator_client, world):
    assert operator_client.get(f"/admin/chargers/{world.other_charger.id}/composite").status_code in (403, 404)


@pytest.mark.both_dbs
def test_the_periodic_replan_picks_limited_stations_and_those_with_a_solar_session(world, app):
    assert smart.planned_stations() == []  # the world's sessions are finished and no station has a limit
    world.other_station.power_schedule = [["18:00", "22:00", 11.0]]
    db.session.commit()
    assert smart.planned_stations() == [world.other_station.id]
    live = ChargingSession(connector_id=world.charger.connectors[1].id, id_tag="SOL", meter_start=0,
                           started_at=utcnow(), booking_id=world.booking.id)
    world.booking.charging_mode = "solar"
    world.session.booking_id = None  # the world's finished session gives its booking to this live one
    db.session.flush()
    db.session.add(live)
    db.session.commit()
    assert smart.planned_stations() == sorted([world.station.id, world.other_station.id])
    world.other_station.power_schedule = None
    db.session.commit()
    assert smart.planned_stations() == [world.station.id]


def test_charger_page_says_what_smart_charging_it_reported(operator_client, world):
    url = f"/admin/chargers/{world.charger.id}"
    assert "smart charging <span id=\"smart-caps\">not reported yet" in operator_client.get(url).get_data(as_text=True)
    world.charger.smart_config = {"SupportedFeatureProfiles": "Core", "ChargeProfileMaxStackLevel": "3"}
    db.session.commit()
    assert '<span id="smart-caps">not supported' in operator_client.get(url).get_data(as_text=True)
    world.charger.smart_config = {"SupportedFeatureProfiles": "Core,SmartCharging", "ChargeProfileMaxStackLevel": "3",
                                  "ChargingScheduleAllowedChargingRateUnit": "Current", "MaxChargingProfilesInstalled": "4"}
    db.session.commit()
    page = operator_client.get(url).get_data(as_text=True)
    assert '<span id="smart-caps">supported (A, stack level 3, 4 profiles)' in page


def test_a_limit_window_starting_before_the_next_periodic_replan_gets_its_own_replan(world, app):
    """The limit drops at 18:00 station time: the sessions follow at 18:00, not up to SMART_REPLAN_SECONDS later."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    station = db.session.get(Station, world.station.id)
    soon = (utcnow() + timedelta(minutes=1)).astimezone(ZoneInfo(station.timezone)).replace(second=0, microsecond=0)
    later = soon + timedelta(hours=2)  # soon: the next whole minute, within SMART_REPLAN_SECONDS (60)
    station.power_schedule = [[f"{soon:%H:%M}", f"{later:%H:%M}", 11.0]]
    db.session.commit()
    edge = soon.astimezone(timezone.utc)
    smart.rebalance(station.id)
    due = [at for at, func, args in timers.backend().pending() if func == "jobs.smart.rebalance"
           and args == (station.id,)]
    assert edge in due, f"a replan at the window's start {edge}, got {due}"
    station.power_schedule = [["03:00", "04:00", 11.0]] if not 2 <= soon.hour <= 4 else [["12:00", "13:00", 11.0]]
    db.session.commit()
    before = len(rebalances())
    smart.rebalance(station.id)
    assert len(rebalances()) == before, "no edge before the next periodic replan: nothing extra"
