"""users: auth_epoch ends every session and remember cookie when it moves on

Every session and remember cookie carries "user id:auth epoch" (User.get_id); logout, suspension and a
password change add one, so every cookie issued before stops signing anyone in. Existing cookies hold the
bare id and are refused: everyone signs in once more after this release.

Revision ID: 0010_secacc
Revises: 0009_frames
Create Date: 2026-12-01 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_secacc'
down_revision = '0009_frames'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN (SQLite has it): a batch copy of users would trip the foreign keys pointing at it.
    op.add_column('users', sa.Column('auth_epoch', sa.Integer(), nullable=False, server_default='0'))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('auth_epoch')
