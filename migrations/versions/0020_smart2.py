"""smart charging, the rest (issue 15): connectors' phases and voltage (amperes from kW), the TxDefaultProfile
and ChargePointMaxProfile in force (connectors.default_limit_kw, chargers.max_limit_kw), and an index of the
ended sessions whose TxProfile is still to be cleared

Revision ID: 0020_smart2
Revises: 0019_slots
Create Date: 2026-12-01 15:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020_smart2'
down_revision = '0019_slots'
branch_labels = None
depends_on = None

PROFILE_TO_CLEAR = "stopped_at IS NOT NULL AND power_limit_kw IS NOT NULL"


def upgrade():
    with op.batch_alter_table('connectors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phases', sa.Integer(), server_default='3', nullable=False))
        batch_op.add_column(sa.Column('voltage', sa.Float(), server_default='230', nullable=False))
        batch_op.add_column(sa.Column('default_limit_kw', sa.Float(), nullable=True))
    with op.batch_alter_table('chargers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('max_limit_kw', sa.Float(), nullable=True))
    op.create_index('ix_sessions_profile_to_clear', 'charging_sessions', ['connector_id'], unique=False,
                    sqlite_where=sa.text(PROFILE_TO_CLEAR), postgresql_where=sa.text(PROFILE_TO_CLEAR))


def downgrade():
    op.drop_index('ix_sessions_profile_to_clear', table_name='charging_sessions')
    with op.batch_alter_table('chargers', schema=None) as batch_op:
        batch_op.drop_column('max_limit_kw')
    with op.batch_alter_table('connectors', schema=None) as batch_op:
        batch_op.drop_column('default_limit_kw')
        batch_op.drop_column('voltage')
        batch_op.drop_column('phases')
