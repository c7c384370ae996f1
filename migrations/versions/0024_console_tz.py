"""console times (issue 17): users.console_timezone, the zone a staff member reads the console in
(NULL: each station's own time)

Revision ID: 0024_console_tz
Revises: 0023_push
Create Date: 2026-12-01 15:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024_console_tz'
down_revision = '0023_push'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('console_timezone', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('console_timezone')
