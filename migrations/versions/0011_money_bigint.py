"""money columns are 64-bit integers

A charger may report a meterStop of 2^31-1 Wh or timestamps years apart (schema-valid, hostile or broken):
the session's cost then passes 2^31 minor units and a 32-bit column refuses it, which answered the charger
with InternalError and lost the StopTransaction. Minor units are 64-bit everywhere money is stored.
SQLite's INTEGER is already 64-bit, so only PostgreSQL changes.

Revision ID: 0011_money_bigint
Revises: 0010_secacc
Create Date: 2026-12-01 10:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_money_bigint'
down_revision = '0010_secacc'
branch_labels = None
depends_on = None

COLUMNS = (
    ('bookings', 'amount_authorised', False), ('bookings', 'amount_captured', False),
    ('bookings', 'amount_refunded', False), ('bookings', 'amount_due', True), ('bookings', 'idle_fee', False),
    ('payments', 'amount', False), ('balance_entries', 'amount', False), ('charging_sessions', 'cost', False),
)


def _alter(to_type, from_type):
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table, column, nullable in COLUMNS:
        op.alter_column(table, column, type_=to_type, existing_type=from_type, existing_nullable=nullable)


def upgrade():
    _alter(sa.BigInteger(), sa.Integer())


def downgrade():
    _alter(sa.Integer(), sa.BigInteger())
