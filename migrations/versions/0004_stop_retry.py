"""sessions: the server's stop is retried (requested, attempts, last attempt, escalated); bookings: stuck flag

Revision ID: 0004_stop_retry
Revises: 0003_money
Create Date: 2026-12-01 09:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_stop_retry'
down_revision = '0003_money'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('charging_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stop_requested_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('stop_reason_requested', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('stop_attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('stop_attempted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('stop_escalated_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stuck_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('stuck_at')
    with op.batch_alter_table('charging_sessions', schema=None) as batch_op:
        batch_op.drop_column('stop_escalated_at')
        batch_op.drop_column('stop_attempted_at')
        batch_op.drop_column('stop_attempts')
        batch_op.drop_column('stop_reason_requested')
        batch_op.drop_column('stop_requested_at')
