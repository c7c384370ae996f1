"""meter samples: one row per reading (connector, time, measurand, phase, location)

Replays are now dropped by INSERT ... ON CONFLICT DO NOTHING against a unique key instead of a SELECT
before every insert. phase and location become '' instead of NULL so that they can be part of the key
(NULLs are never equal in a unique index); the application still reads None.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 15:19:13.782272

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("UPDATE meter_samples SET phase = '' WHERE phase IS NULL")
    op.execute("UPDATE meter_samples SET location = '' WHERE location IS NULL")
    # Duplicates a race let through before the key existed: keep the first of each.
    op.execute("DELETE FROM meter_samples WHERE id NOT IN (SELECT MIN(id) FROM meter_samples "
               "GROUP BY connector_id, timestamp, measurand, phase, location)")
    with op.batch_alter_table('meter_samples', schema=None) as batch_op:
        batch_op.alter_column('phase', existing_type=sa.VARCHAR(length=8), nullable=False, server_default='')
        batch_op.alter_column('location', existing_type=sa.VARCHAR(length=12), nullable=False,
                              server_default='')
        batch_op.drop_index(batch_op.f('ix_meter_samples_connector_id'))
        batch_op.create_unique_constraint('uq_meter_samples_reading',
                                          ['connector_id', 'timestamp', 'measurand', 'phase', 'location'])


def downgrade():
    with op.batch_alter_table('meter_samples', schema=None) as batch_op:
        batch_op.drop_constraint('uq_meter_samples_reading', type_='unique')
        batch_op.create_index(batch_op.f('ix_meter_samples_connector_id'), ['connector_id'], unique=False)
        batch_op.alter_column('location', existing_type=sa.VARCHAR(length=12), nullable=True,
                              server_default=None)
        batch_op.alter_column('phase', existing_type=sa.VARCHAR(length=8), nullable=True, server_default=None)
    op.execute("UPDATE meter_samples SET phase = NULL WHERE phase = ''")
    op.execute("UPDATE meter_samples SET location = NULL WHERE location = ''")
