"""charging modes: per-mode tariff prices, the Solar floor the driver accepts (and, until w/smartwire merges,
its Booking.charging_mode and Station.standard_kw)

Revision ID: 0018_modes
Revises: 0012_audit_via
Create Date: 2026-12-01 13:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0018_modes'
down_revision = '0012_audit_via'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tariffs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('price_per_kwh_standard', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('price_per_kwh_solar', sa.Integer(), nullable=True))
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('solar_floor_kw', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('mode_segments', sa.JSON(), nullable=True))
        # SHIM (w/smartwire's migration adds it: drop this line at merge)
        batch_op.add_column(sa.Column('charging_mode', sa.String(length=16), server_default='fast', nullable=False))
    with op.batch_alter_table('stations', schema=None) as batch_op:
        # SHIM (w/smartwire's migration adds it: drop this line at merge)
        batch_op.add_column(sa.Column('standard_kw', sa.Float(), nullable=True))


def downgrade():
    with op.batch_alter_table('stations', schema=None) as batch_op:
        batch_op.drop_column('standard_kw')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('charging_mode')
        batch_op.drop_column('mode_segments')
        batch_op.drop_column('solar_floor_kw')
    with op.batch_alter_table('tariffs', schema=None) as batch_op:
        batch_op.drop_column('price_per_kwh_solar')
        batch_op.drop_column('price_per_kwh_standard')
