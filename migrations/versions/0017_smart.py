"""smart charging: station power limit and schedule, standard power, charger smart config, booking mode,
session limit sent

Revision ID: 0017_smart
Revises: 0012_audit_via
Create Date: 2026-12-01 13:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_smart'
down_revision = '0012_audit_via'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('charging_mode', sa.String(length=16), server_default='fast', nullable=False))
    with op.batch_alter_table('chargers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('smart_config', sa.JSON(), nullable=True))
    with op.batch_alter_table('charging_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('power_limit_kw', sa.Float(), nullable=True))
    with op.batch_alter_table('stations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('power_limit_kw', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('power_schedule', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('standard_kw', sa.Float(), nullable=True))


def downgrade():
    with op.batch_alter_table('stations', schema=None) as batch_op:
        batch_op.drop_column('standard_kw')
        batch_op.drop_column('power_schedule')
        batch_op.drop_column('power_limit_kw')
    with op.batch_alter_table('charging_sessions', schema=None) as batch_op:
        batch_op.drop_column('power_limit_kw')
    with op.batch_alter_table('chargers', schema=None) as batch_op:
        batch_op.drop_column('smart_config')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('charging_mode')
