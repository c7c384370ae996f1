"""slots booked ahead (issue 16): bookings.slot_start/slot_end/slot_clear_at; on PostgreSQL no two live
slots on one connector overlap (exclusion constraint on tstzrange(slot_start, slot_clear_at), btree_gist)

Revision ID: 0019_slots
Revises: 0018_modes
Create Date: 2026-12-01 13:22:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019_slots'
down_revision = '0018_modes'
branch_labels = None
depends_on = None

SLOT_LIVE = ("slot_start IS NOT NULL AND status IN ('SLOT_HELD', 'SCHEDULED', 'HELD', 'CONFIRMED', "
             "'CHARGING', 'FINISHING', 'OVERSTAY')")


def upgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('slot_start', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('slot_end', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('slot_clear_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint(
            'slot_ordered', "slot_start IS NULL OR (slot_end > slot_start AND slot_clear_at >= slot_end)")
        batch_op.create_index('ix_bookings_slot', ['connector_id', 'slot_start'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public')
        op.execute('ALTER TABLE bookings ADD CONSTRAINT ex_bookings_slot_overlap EXCLUDE USING gist '
                   f'(connector_id WITH =, tstzrange(slot_start, slot_clear_at) WITH &&) WHERE ({SLOT_LIVE})')


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE bookings DROP CONSTRAINT ex_bookings_slot_overlap')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('ix_bookings_slot')
        batch_op.drop_constraint('slot_ordered', type_='check')
        batch_op.drop_column('slot_clear_at')
        batch_op.drop_column('slot_end')
        batch_op.drop_column('slot_start')
