"""Migrations apply from empty and match the models, on SQLite and PostgreSQL."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import inspect

from webapp.extensions import db


def test_migrations_apply_from_empty_and_match_models(app, backend):
    db.drop_all()
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    upgrade(directory="migrations")
    tables = set(inspect(db.engine).get_table_names())
    assert {"users", "stations", "chargers", "connectors", "bookings", "payments", "charging_sessions",
            "meter_samples", "charger_events", "ocpp_messages", "audit_log", "notifications",
            "maintenance_windows"} <= tables
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), db.metadata)
    assert diff == [], f"models and migrations differ: {diff}"
    db.session.remove()


def test_meter_sample_key_migration_keeps_readings_and_drops_only_duplicates(app, backend):
    """0001 -> 0002 on a database holding readings: NULL phase/location become '' (read back as None)."""
    from sqlalchemy import select, text

    from webapp.models import MeterSample

    db.drop_all()
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    upgrade(directory="migrations", revision="0001")
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO chargers (id, charge_point_id, registration_status, heartbeat_interval, "
                          "supports_reservation, online, in_maintenance, retired, created_at) VALUES "
                          "(1, 'MIG-1', 'Accepted', 300, true, false, false, false, '2026-11-01 10:00:00+00')"))
        conn.execute(text("INSERT INTO connectors (id, charger_id, connector_id, plug_type, max_power_kw, status) "
                          "VALUES (1, 1, 1, 'Type2', 22, 'Available')"))
        for ts, phase in (("10:00:00", None), ("10:00:00", None), ("10:00:10", None), ("10:00:10", "L1")):
            conn.execute(text("INSERT INTO meter_samples (connector_id, timestamp, measurand, value, phase) "
                              "VALUES (1, :ts, 'Energy.Active.Import.Register', 5, :phase)"),
                         {"ts": f"2026-11-01 {ts}+00", "phase": phase})
    upgrade(directory="migrations")
    rows = db.session.execute(select(MeterSample.timestamp, MeterSample.phase, MeterSample.location)
                              .order_by(MeterSample.timestamp, MeterSample.phase)).all()
    assert [(t.strftime("%H:%M:%S"), p, loc) for t, p, loc in rows] == [
        ("10:00:00", None, None), ("10:00:10", None, None), ("10:00:10", "L1", None)]
    db.session.remove()
