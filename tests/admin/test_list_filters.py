"""The console's list filters (one GET form family, admin/forms/filters.py): a malformed value or a reversed
date range is shown next to its field and left out, the list still renders; good values filter."""
import re
from datetime import date
from zoneinfo import ZoneInfo

import pytest

from webapp.services.reports import records

from .test_analytics import csv_rows

TODAY_ROWS = {"/admin/bookings": "data-booking", "/admin/sessions": "data-session",
              "/admin/payments": "data-payment", "/admin/audit": "data-audit"}


def _error(page: str, name: str) -> str:
    """The message shown next to field `name` ('' when none)."""
    found = re.search(rf'<small class="field-error" id="f-{name}-error" role="alert">([^<]*)</small>', page)
    return found.group(1) if found else ""


@pytest.mark.parametrize("url", list(TODAY_ROWS))
def test_a_malformed_day_is_shown_next_to_its_field_and_ignored(admin_client, world, url):
    response = admin_client.get(f"{url}?day_from=yesterday")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _error(page, "day_from") == "From day is not a date (YYYY-MM-DD). (ignored)"
    assert 'aria-describedby="f-day_from-error"' in page and 'value="yesterday"' in page
    assert f'{TODAY_ROWS[url]}="' in page  # the list is still there, unfiltered


@pytest.mark.parametrize("url", list(TODAY_ROWS))
def test_a_reversed_range_is_refused_on_the_to_day(admin_client, world, url):
    page = admin_client.get(f"{url}?day_from=2000-01-02&day_to=2000-01-01").get_data(as_text=True)
    assert _error(page, "day_to") == "To day is before the from day. (ignored)"
    assert not _error(page, "day_from")
    assert f'{TODAY_ROWS[url]}="' in page  # from 2000 on, to day left out: today's rows are listed


def test_a_day_past_any_calendar_is_refused_not_a_500(admin_client, world):
    response = admin_client.get("/admin/sessions?day_to=9999-12-31")
    assert response.status_code == 200
    assert "To day must be between 2000-01-01 and 2999-12-31." in _error(response.get_data(as_text=True), "day_to")


@pytest.mark.parametrize("url, name, message", [
    ("/admin/bookings?status=LOST", "status", "Status is one of"),
    ("/admin/sessions?state=asleep", "state", "State is active or finished."),
    ("/admin/payments?kind=gift", "kind", "Kind is one of"),
    ("/admin/payments?status=lost", "status", "Status is one of"),
    ("/admin/users?role=king", "role", "Role is one of"),
    ("/admin/users?state=asleep", "state", "State is active or suspended."),
])
def test_an_unknown_choice_is_shown_and_ignored(admin_client, world, url, name, message):
    response = admin_client.get(url)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and _error(page, name).startswith(message)
    assert re.search(r'data-(booking|session|payment|user)="', page)


@pytest.mark.parametrize("url", ["/admin/bookings", "/admin/sessions", "/admin/analytics"])
def test_a_station_that_is_not_a_number_or_not_yours(operator_client, world, url):
    page = operator_client.get(f"{url}?station_id=abc").get_data(as_text=True)
    assert _error(page, "station_id") == "Station: choose one from the list. (ignored)"
    for other in (world.other_station.id, 0):
        page = operator_client.get(f"{url}?station_id={other}").get_data(as_text=True)
        assert _error(page, "station_id") == "Station: choose one from the list. (ignored)"
    assert "Far Station" not in page


def test_typed_filters_reach_the_services(admin_client, world, monkeypatch):
    seen = {}
    real = records.sessions_query

    def spy(viewer, **filters):
        seen.update(filters)
        return real(viewer, **filters)

    monkeypatch.setattr(records, "sessions_query", spy)
    page = admin_client.get(f"/admin/sessions?q=+OWN+&state=finished&station_id={world.station.id}"
                            "&day_from=2000-01-01&day_to=2999-01-01").get_data(as_text=True)
    assert seen == {"q": "OWN", "state": "finished", "station_id": world.station.id,
                    "day_from": date(2000, 1, 1), "day_to": date(2999, 1, 1),
                    "zone": ZoneInfo("Asia/Kolkata")}  # the days on the console's clock (the stations' zone)
    assert f'data-session="{world.session.id}"' in page and f'data-session="{world.other_session.id}"' not in page
    assert f'<option selected value="{world.station.id}">Own Station</option>' in page


def test_good_filters_filter_each_list(admin_client, world):
    page = admin_client.get(f"/admin/sessions?station_id={world.other_station.id}").get_data(as_text=True)
    assert f'data-session="{world.other_session.id}"' in page and f'data-session="{world.session.id}"' not in page
    page = admin_client.get("/admin/payments?day_from=2999-01-01").get_data(as_text=True)
    assert 'data-payment="' not in page and not _error(page, "day_from")
    page = admin_client.get("/admin/users?role=operator&state=active&q=olga").get_data(as_text=True)
    assert f'data-user="{world.other_operator.id}"' in page and page.count('data-user="') == 1


def test_exports_take_the_same_filters_and_leave_bad_ones_out(admin_client, world):
    rows = csv_rows(admin_client.get(f"/admin/exports/sessions.csv?station_id={world.station.id}"))
    assert [r[0] for r in rows[1:]] == [str(world.session.id)]
    rows = csv_rows(admin_client.get("/admin/exports/sessions.csv?day_from=nope&station_id=abc"))
    assert len(rows) == 3  # both sessions: the malformed filters are left out
    rows = csv_rows(admin_client.get("/admin/exports/payments.csv?status=lost&day_to=2000-01-01"))
    assert len(rows) == 1  # the bad status is ignored, the good day filters everything out


def test_analytics_shows_the_period_it_used(operator_client, world):
    page = operator_client.get("/admin/analytics?day_from=2000-13-01").get_data(as_text=True)
    assert _error(page, "day_from") == "From day is not a date (YYYY-MM-DD). (ignored)"
    assert 'value="2000-13-01"' in page and 'id="total-sessions">1' in page  # the default 30 days
    page = operator_client.get("/admin/analytics?day_from=2026-01-05&day_to=2026-01-01").get_data(as_text=True)
    assert _error(page, "day_to") == "To day is before the from day. (ignored)"
    page = operator_client.get("/admin/analytics?days=7").get_data(as_text=True)
    assert re.search(r'id="f-day_from"[^>]*value="\d{4}-\d\d-\d\d"|value="\d{4}-\d\d-\d\d"[^>]*id="f-day_from"',
                     page)


@pytest.mark.parametrize("url, name, message", [
    ("/admin/stations?status=closed", "status", "Status is one of active, maintenance, retired. (ignored)"),
    ("/admin/maintenance?state=paused", "state", "State is one of scheduled, active, done, cancelled. (ignored)"),
])
def test_station_and_maintenance_lists_say_what_they_ignored(operator_client, world, url, name, message):
    response = operator_client.get(url)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and _error(page, name) == message
    assert "Own Station" in page


def test_station_and_maintenance_filters_filter(operator_client, world):
    assert "Own Station" not in operator_client.get("/admin/stations?status=retired").get_data(as_text=True)
    assert "Own Station" not in operator_client.get("/admin/stations?q=+nowhere+").get_data(as_text=True)
    page = operator_client.get("/admin/maintenance?state=done").get_data(as_text=True)
    assert "cable swap" not in page and not _error(page, "state")
    assert "cable swap" in operator_client.get("/admin/maintenance?state=scheduled").get_data(as_text=True)


def test_charger_timeline_and_log_filters(operator_client, world):
    url = f"/admin/chargers/{world.charger.id}"
    page = operator_client.get(f"{url}?kind=party").get_data(as_text=True)
    assert response_ok(page) and _error(page, "kind") == "Event kind: choose one from the list. (ignored)"
    page = operator_client.get(f"{url}?kind=offline").get_data(as_text=True)
    assert '<option selected value="offline">Offline</option>' in page and not _error(page, "kind")
    page = operator_client.get(f"{url}/messages?action=+Heartbeat+&all=1").get_data(as_text=True)
    assert 'value="Heartbeat"' in page and 'checked' in page and "No OCPP messages logged for Heartbeat." in page


def response_ok(page: str) -> bool:
    return "Status timeline" in page
