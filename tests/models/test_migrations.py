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
