"""The audit log: append-only, searchable, with before/after, IP and time."""
from datetime import timedelta

import pytest

from webapp.extensions import db
from webapp.models import AuditLog
from webapp.services.platform import audit
from webapp.services.platform.audit import AuditLogIsAppendOnly
from webapp.timeutil import utcnow


def test_entries_cannot_be_changed_or_deleted(world):
    entry = db.session.get(AuditLog, world.entry.id)
    entry.action = "nothing.happened"
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.delete(db.session.get(AuditLog, world.entry.id))
        db.session.commit()
    db.session.rollback()
    assert db.session.get(AuditLog, world.entry.id).action == "station.update"


def test_log_keeps_who_what_target_before_after_ip_time(world):
    entry = audit.log("station.update", "station", world.station.id, {"opens": utcnow().replace(microsecond=0)},
                      {"name": "B"}, actor=audit.Actor(world.operator.id, "console", "203.0.113.9"))
    db.session.commit()
    assert entry.target_id == str(world.station.id) and entry.ip == "203.0.113.9"
    assert entry.before["opens"].endswith("Z") and entry.after == {"name": "B"}
    assert abs((utcnow() - entry.created_at).total_seconds()) < 5
    assert audit.changes({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == [("b", 2, 3), ("c", None, 4)]


def test_audit_page_search_and_filters(admin_client, operator_client, world):
    admin_client.post(f"/admin/stations/{world.station.id}/retire")
    operator_client.post(f"/admin/chargers/{world.charger.id}/commands", data={"command": "clear_cache"})
    page = admin_client.get("/admin/audit").get_data(as_text=True)
    assert 'data-audit="station.retire"' in page and 'data-audit="charger.command.clear_cache"' in page
    assert '<strong>status</strong>: "active" → "retired"' in page and "127.0.0.1" in page
    page = admin_client.get("/admin/audit?q=op@example.com").get_data(as_text=True)
    assert 'data-audit="charger.command.clear_cache"' in page and 'data-audit="station.retire"' not in page
    page = admin_client.get("/admin/audit?action=station.").get_data(as_text=True)
    assert 'data-audit="station.retire"' in page and 'data-audit="charger.command' not in page
    page = admin_client.get("/admin/audit?target_type=charger").get_data(as_text=True)
    assert 'data-audit="station.' not in page and 'data-audit="charger.command.clear_cache"' in page
    later = (utcnow() + timedelta(days=2)).date().isoformat()  # a day after tomorrow on any clock
    page = admin_client.get(f"/admin/audit?day_from={later}").get_data(as_text=True)
    assert "No entry matches" in page
    assert operator_client.get("/admin/audit").status_code == 403


def test_audit_entry_page_shows_before_and_after(admin_client, world):
    page = admin_client.get(f"/admin/audit/{world.entry.id}").get_data(as_text=True)
    assert '<td><code>"Old"</code></td><td><code>"Own Station"</code></td>' in page and "10.0.0.1" in page
    assert admin_client.get("/admin/audit/999999").status_code == 404


def test_detail_pages_show_their_audit_trail(admin_client, world):
    admin_client.post(f"/admin/stations/{world.station.id}/edit", data={})  # refused: not audited
    admin_client.post(f"/admin/chargers/{world.charger.id}/retire")
    page = admin_client.get(f"/admin/chargers/{world.charger.id}").get_data(as_text=True)
    assert "Audit trail (1)" in page and "charger.retire" in page


def _steps(w, factory):
    """(endpoint, url params, form) for one successful use of every console action, in a workable order."""
    from webapp.models import ChargingSession, Connector, Tariff

    from .conftest import paid_booking
    from .test_stations import GOOD, TARIFF

    confirmed = paid_booking(w.charger.connectors[1], factory.user(), status="CONFIRMED")
    taken = paid_booking(w.other_charger.connectors[1], factory.user(), status="CONFIRMED")
    charging = paid_booking(w.other_connector, factory.user(), status="CONFIRMED")
    charging.status = "CHARGING"
    running = ChargingSession(connector_id=w.connector.id, user_id=w.operator.id, id_tag=w.operator.id_tag,
                              meter_start=0, started_at=utcnow())
    db.session.add(running)
    db.session.commit()
    from webapp.services.money import ledger

    owing = factory.user()  # a driver with a balance to waive
    ledger.add("owed:test", owing.id, "owed", 1500, "INR", reason="capture failed")
    db.session.commit()

    from webapp.services.booking import slot_pay, slots

    day5 = (utcnow() + timedelta(days=5)).replace(hour=4, minute=0, second=0, microsecond=0)
    booked = []
    for start in (day5, day5 + timedelta(hours=3)):
        driver = factory.user()
        slot = slots.book_slot(driver, w.other_station.id, start, minutes=60, connector_id=w.other_connector.id)
        booked.append(slot_pay.pay_slot(driver, slot.id, 10, "card", "4242 4242 4242 4242", f"pay-{slot.id}"))
    local_move = (day5 + timedelta(hours=1, minutes=30) + timedelta(hours=5, minutes=30)).strftime("%Y-%m-%dT%H:%M")

    def new_connector():
        return db.session.execute(db.select(Connector.id).where(Connector.charger_id == w.charger.id)
                                  .order_by(Connector.id.desc())).scalars().first()

    def new_tariff():
        return db.session.execute(db.select(Tariff.id).where(Tariff.name == TARIFF["name"])).scalar_one()

    station_form = {**GOOD, "tariff_id": str(w.station.tariff_id)}
    return [
        ("admin.station_new", {}, station_form),
        ("admin.station_edit", {"station_id": w.station.id}, {**station_form, "name": "Renamed"}),
        ("admin.charger_new", {"station_id": w.station.id}, {"cp_id": "NEW-1", "connectors": "1", "power_kw": "22",
                                                             "plug": "Type2"}),
        ("admin.charger_edit", {"charger_id": w.charger.id}, {"station_id": str(w.station.id),
                                                              "heartbeat_interval": "60", "registration_status": "Accepted"}),
        ("admin.charger_password", {"charger_id": w.charger.id}, {}),
        ("admin.charger_password_set", {"charger_id": w.charger.id}, {"password": "Firmware-Key-16ch"}),
        ("admin.charger_command", {"charger_id": w.charger.id}, {"command": "clear_cache"}),
        ("admin.charger_configuration", {"charger_id": w.charger.id}, {}),
        ("admin.connector_add", {"charger_id": w.charger.id}, {"plug_type": "CCS2", "max_power_kw": "50"}),
        ("admin.connector_edit", lambda: {"connector_id": new_connector()}, {"plug_type": "Type2", "max_power_kw": "11"}),
        ("admin.connector_remove", lambda: {"connector_id": new_connector()}, {}),
        ("admin.booking_cancel", {"booking_id": confirmed.id}, {"reason": "test"}),
        ("admin.booking_take_over", {"booking_id": taken.id}, {"reason": "staff card"}),
        ("admin.booking_force_finish", {"booking_id": charging.id}, {"reason": "test"}),
        ("admin.slot_move", {"booking_id": booked[0].id}, {"starts_at": local_move, "reason": "test",
                                                           "connector_id": str(w.other_connector.id)}),
        ("admin.slot_cancel", {"booking_id": booked[1].id}, {"reason": "test"}),
        ("admin.payment_refund", {"payment_id": w.capture.id}, {"amount": "1", "reason": "test",
                                                                "idempotency_key": "a" * 32}),
        ("admin.session_stop", {"session_id": running.id}, {}),
        ("admin.maintenance_new", {}, {"target": f"station:{w.station.id}", "reason": "x",
                                       "starts_at": (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
                                       "ends_at": (utcnow() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")}),
        ("admin.maintenance_cancel", {"window_id": w.window.id}, {}),
        ("admin.tariff_new", {}, TARIFF),
        ("admin.tariff_edit", lambda: {"tariff_id": new_tariff()}, {**TARIFF, "session_fee": "11"}),
        ("admin.tariff_retire", lambda: {"tariff_id": new_tariff()}, {}),
        ("admin.user_role", {"user_id": w.driver.id}, {"role": "operator"}),
        ("admin.user_stations", {"user_id": w.driver.id}, {"station_ids": [str(w.station.id)]}),
        ("admin.user_suspend", {"user_id": w.driver.id}, {}),
        ("admin.user_reactivate", {"user_id": w.driver.id}, {}),
        ("admin.user_waive", {"user_id": owing.id}, {"reason": "goodwill"}),
        ("admin.charger_retire", {"charger_id": w.charger.id}, {}),
        ("admin.charger_reinstate", {"charger_id": w.charger.id}, {}),
        ("admin.station_retire", {"station_id": w.station.id}, {}),
        ("admin.station_reinstate", {"station_id": w.station.id}, {}),
        ("admin.clock_setting", {}, {"show_in": "mine", "zone": "Europe/Berlin"}),
        ("admin.export_sessions", {}, None),
        ("admin.export_payments", {}, None),
        ("admin.export_users", {}, None),
    ]


def test_every_console_action_leaves_one_audit_entry(app, admin_client, world, factory):
    """Every state-changing console route (and every export) is in this list, and each use is audited once."""
    from flask import url_for

    steps = _steps(world, factory)
    actions = {r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("admin.")
               and ("POST" in r.methods or r.endpoint.startswith("admin.export_"))}
    assert {endpoint for endpoint, _, _ in steps} == actions
    for endpoint, params, form in steps:
        db.session.commit()
        before = db.session.execute(db.select(db.func.count(AuditLog.id))).scalar_one()
        with app.test_request_context():
            url = url_for(endpoint, **(params() if callable(params) else params))
        response = admin_client.get(url) if form is None else admin_client.post(url, data=form)
        response.get_data()
        assert response.status_code in (200, 302), (endpoint, response.status_code)
        db.session.commit()
        added = db.session.execute(db.select(AuditLog).where(AuditLog.id > 0).order_by(AuditLog.id.desc())
                                   .limit(1)).scalar_one()
        count = db.session.execute(db.select(db.func.count(AuditLog.id))).scalar_one()
        assert count == before + 1, endpoint
        assert added.user_id == world.admin.id and added.ip == "127.0.0.1", endpoint


def test_console_entries_show_and_filter_by_their_channel(admin_client, world):
    with audit.acting_as(None, "cli"):
        audit.log("user.create", "user", world.driver.id, None, {"email": "x"})
    db.session.commit()
    admin_client.post(f"/admin/users/{world.driver.id}/suspend")
    db.session.commit()
    [suspend] = db.session.execute(db.select(AuditLog).where(AuditLog.action == "user.suspend")).scalars()
    assert (suspend.user_id, suspend.via) == (world.admin.id, "console")
    page = admin_client.get("/admin/audit?via=console").get_data(as_text=True)
    assert 'data-audit="user.suspend"' in page and 'data-audit="user.create"' not in page
    assert '<td data-via="console">console</td>' in page
    page = admin_client.get("/admin/audit?via=cli").get_data(as_text=True)
    assert 'data-audit="user.create"' in page and 'data-audit="user.suspend"' not in page
    bad = admin_client.get("/admin/audit?via=pigeon&day_from=someday")
    html = bad.get_data(as_text=True)
    assert bad.status_code == 200 and "Through is one of" in html and "(ignored)" in html
    assert 'data-audit="user.suspend"' in html  # the malformed filters are left out
    entry = admin_client.get(f"/admin/audit/{suspend.id}").get_data(as_text=True)
    assert '<dd id="entry-via">console</dd>' in entry
