"""a slot's life (issue 16): the operator's slot policy on the tariff (free cancellation until N minutes
before the start; a slot pre-authorises its quota or a deposit)

Revision ID: 0021_slotlife
Revises: 0020_smart2
Create Date: 2026-12-01 15:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0021_slotlife'
down_revision = '0020_smart2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tariffs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('slot_free_cancel_minutes', sa.Integer(), server_default='60', nullable=False))
        batch_op.add_column(sa.Column('slot_payment', sa.String(length=8), server_default='quota', nullable=False))
        batch_op.add_column(sa.Column('slot_deposit', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_check_constraint(
            'slot_policy', "slot_payment IN ('quota', 'deposit') AND slot_deposit >= 0 "
                           "AND slot_free_cancel_minutes >= 0")


def downgrade():
    with op.batch_alter_table('tariffs', schema=None) as batch_op:
        batch_op.drop_constraint('slot_policy', type_='check')
        batch_op.drop_column('slot_deposit')
        batch_op.drop_column('slot_payment')
        batch_op.drop_column('slot_free_cancel_minutes')
