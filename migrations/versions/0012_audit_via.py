"""audit entries say through what a change came (console, app, api, cli, job, charger)

Revision ID: 0012_audit_via
Revises: 0011_money_bigint
Create Date: 2026-12-01 12:03:26.181636

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_audit_via'
down_revision = '0011_money_bigint'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('via', sa.String(length=16), server_default='system', nullable=False))


def downgrade():
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_column('via')
