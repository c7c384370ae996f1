"""connectors: status ordering that a wrong clock cannot freeze

status_order_at is the charger's timestamp capped at arrival + OCPP_CLOCK_SKEW_SECONDS, and
status_connection_id the connection that sent the status (arrival order wins within one connection). Both
start empty, so the first status after the upgrade applies even where a status from year 9999 froze the
connector.

Revision ID: 0009_frames
Revises: 0006_meter
Create Date: 2026-12-01 09:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_frames'
down_revision = '0006_meter'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('connectors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status_order_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('status_connection_id', sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table('connectors', schema=None) as batch_op:
        batch_op.drop_column('status_connection_id')
        batch_op.drop_column('status_order_at')
