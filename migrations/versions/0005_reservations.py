"""bookings: the charger's answer to ReserveNow, and when the driver pressed Start

reservation_status keeps what the charger said (pending, Accepted, Occupied, Faulted, Rejected, Unavailable,
failed, none) so pages show the truth; start_requested_at measures the arrival grace at the press of Start.

Revision ID: 0005_reservations
Revises: 0004_stop_retry
Create Date: 2026-12-01 09:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_reservations'
down_revision = '0004_stop_retry'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reservation_status', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('start_requested_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('start_requested_at')
        batch_op.drop_column('reservation_status')
