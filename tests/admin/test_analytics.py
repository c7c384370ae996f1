"""Analytics per day and per station (server-side SVG), solar against charging, and streamed CSV exports."""
import csv
import io
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from webapp.extensions import db
from webapp.models import AuditLog, ChargingSession, SolarSample
from webapp.services.reports import analytics, exports
from webapp.timeutil import utcnow

from .conftest import finished_session, paid_booking

pytestmark = pytest.mark.both_dbs  # the figures are SQL: check them on PostgreSQL too


def test_report_per_day_and_station(world, factory):
    today = analytics.local_today(world.admin)
    data = analytics.report(world.admin, today - timedelta(days=6), today)
    assert len(data["days"]) == 7
    day, figures = data["days"][-1]
    assert day == today and figures.sessions == 2 and figures.energy_wh == 14000 and figures.revenue == 6000
    per_station = {s.name: f for s, f in data["stations"]}
    assert per_station["Own Station"].revenue == 3000 and per_station["Own Station"].sessions == 1
    assert 0 < per_station["Own Station"].utilisation < 1
    # a 30-minute session on one of two connectors over the day so far
    assert per_station["Own Station"].connectors == 2
    scoped = analytics.report(world.operator, today - timedelta(days=6), today)
    assert [s.name for s, _ in scoped["stations"]] == ["Own Station"] and scoped["totals"].revenue == 3000


def test_dispute_refunds_reduce_revenue_but_unused_authorisations_do_not(world, operator_client):
    operator_client.post(f"/admin/payments/{world.capture.id}/refund", data={"amount": "5", "reason": "short",
                                                                                   "idempotency_key": "b" * 32})
    today = analytics.local_today(world.admin)
    data = analytics.report(world.operator, today, today)
    assert data["totals"].revenue == 3000 - 500


def test_utilisation_splits_sessions_across_days(world):
    """At the station's midnight (its local day, Asia/Kolkata in the factory)."""
    today = analytics.local_today(world.operator)
    session = db.session.get(ChargingSession, world.session.id)
    start = analytics.midnight(today, ZoneInfo(world.station.timezone))
    session.started_at, session.stopped_at = start - timedelta(hours=6), start + timedelta(hours=0)
    db.session.commit()
    data = analytics.report(world.operator, today - timedelta(days=1), today)
    yesterday = data["days"][0][1]
    assert yesterday.busy_seconds == 6 * 3600 and abs(yesterday.utilisation - 6 / 48) < 1e-9


def test_solar_is_integrated_per_station(world):
    today = analytics.local_today(world.admin)
    data = analytics.report(world.admin, today, today)
    [(station, rows)] = data["solar"]
    assert station.name == "Own Station"
    solar_wh = sum(f.solar_wh for _, f in rows)
    assert abs(solar_wh - 6.0 * 4 / 60 * 1000) < 1  # 6 kW for 4 minutes between 5 samples
    # samples more than 15 minutes apart count as no production in between
    db.session.add(SolarSample(charger_id=world.charger.id, timestamp=utcnow() - timedelta(hours=3), kw=6.0))
    db.session.commit()
    again = analytics.report(world.admin, today, today)
    assert abs(sum(f.solar_wh for _, f in again["solar"][0][1]) - solar_wh) < 1 or \
        (utcnow() - timedelta(hours=3)).date() != today


def test_analytics_page_draws_svg_charts(operator_client, world):
    response = operator_client.get("/admin/analytics?days=7")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.count('<svg class="chart"') == 8  # 4 per day, 3 per station, 1 solar
    assert 'aria-label="Solar against charging at Own Station"' in page and "<script src=\"http" not in page
    assert 'id="total-revenue">₹30.00' in page and 'id="total-sessions">1' in page
    assert "Far Station" not in page
    one = operator_client.get(f"/admin/analytics?station_id={world.station.id}&day_from=2000-01-01").get_data(
        as_text=True)
    assert "Own Station" in one


def csv_rows(response):
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_sessions_csv_is_streamed_scoped_and_audited(operator_client, world):
    response = operator_client.get("/admin/exports/sessions.csv")
    assert response.is_streamed and response.mimetype == "text/csv"
    assert 'attachment; filename="chargeway-sessions-' in response.headers["Content-Disposition"]
    rows = csv_rows(response)
    assert rows[0] == exports.SESSION_HEADER
    assert len(rows) == 2 and rows[1][0] == str(world.session.id) and rows[1][2] == "OWN-1"
    assert rows[1][11] == "7.000" and rows[1][12] == "30.00"
    entry = db.session.execute(db.select(AuditLog).where(AuditLog.action == "export.sessions")).scalar_one()
    assert entry.user_id == world.operator.id and entry.target_type == "export"


def test_exports_page_through_many_rows(operator_client, world, factory, monkeypatch):
    monkeypatch.setattr(exports, "CHUNK", 3)
    for _ in range(7):
        finished_session(world.charger.connectors[1], factory.user(), minutes=5)
    rows = csv_rows(operator_client.get("/admin/exports/sessions.csv"))
    ids = [int(r[0]) for r in rows[1:]]
    assert len(ids) == 8 and ids == sorted(ids, reverse=True) and len(set(ids)) == 8


def test_payments_csv_with_filters_and_formula_guard(admin_client, world, factory):
    evil = factory.user(email="=cmd@example.com", name="=HYPERLINK(1)")
    paid_booking(world.charger.connectors[1], evil)
    rows = csv_rows(admin_client.get("/admin/exports/payments.csv?kind=capture"))
    assert rows[0] == exports.PAYMENT_HEADER and {r[5] for r in rows[1:]} == {"capture"} and len(rows) == 4
    assert any(r[4] == "'=cmd@example.com" for r in rows[1:])
    entry = db.session.execute(db.select(AuditLog).where(AuditLog.action == "export.payments")).scalar_one()
    assert entry.after == {"kind": "capture", "zone": "Asia/Kolkata"}  # the clock its day filters were read on
