"""0002 -> 0006_meter: every charger that has a password (24 characters, all of them, before the 16-20
rule) is flagged for replacement; one without a password is not."""
from flask_migrate import upgrade
from sqlalchemy import select, text

from webapp.extensions import db
from webapp.models import Charger


def test_existing_passwords_are_flagged_outdated(app, backend):
    db.drop_all()
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    upgrade(directory="migrations", revision="0002")
    with db.engine.begin() as conn:
        for pk, password_hash in ((1, "scrypt:32768:8:1$salt$hash"), (2, None)):
            conn.execute(text("INSERT INTO chargers (id, charge_point_id, registration_status, heartbeat_interval, "
                              "supports_reservation, online, in_maintenance, retired, created_at, password_hash) "
                              "VALUES (:id, :cp, 'Accepted', 300, true, false, false, false, "
                              "'2026-11-01 10:00:00+00', :hash)"), {"id": pk, "cp": f"MIG-{pk}", "hash": password_hash})
    upgrade(directory="migrations")
    rows = db.session.execute(select(Charger.charge_point_id, Charger.password_outdated).order_by(Charger.id)).all()
    assert rows == [("MIG-1", True), ("MIG-2", False)]
    db.session.remove()
