"""charging modes: per-mode tariff prices, the Solar floor the driver accepts, the energy per mode

Revision ID: 0018_modes
Revises: 0017_smart
Create Date: 2026-12-01 13:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0018_modes'
down_revision = '0017_smart'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tariffs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('price_per_kwh_standard', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('price_per_kwh_solar', sa.Integer(), nullable=True))
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('solar_floor_kw', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('mode_segments', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('mode_segments')
        batch_op.drop_column('solar_floor_kw')
    with op.batch_alter_table('tariffs', schema=None) as batch_op:
        batch_op.drop_column('price_per_kwh_solar')
        batch_op.drop_column('price_per_kwh_standard')
