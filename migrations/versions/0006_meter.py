"""chargers: password_outdated flags a password outside 16-20 characters

Charger passwords are 16 to 20 characters now (the OCPP 1.6 security whitepaper's AuthorizationKey;
MicroOcpp refuses longer keys). Every password generated before was 24 characters, and only a hash is
kept, so every charger that has a password is flagged: it keeps working, and the console asks staff to
replace it (the next password set or generated clears the flag).

Revision ID: 0006_meter
Revises: 0005_reservations
Create Date: 2026-12-01 09:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_meter'
down_revision = '0005_reservations'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN (SQLite has it): a batch copy of chargers would trip its foreign keys.
    op.add_column('chargers', sa.Column('password_outdated', sa.Boolean(), nullable=False,
                                        server_default=sa.false()))
    chargers = sa.table('chargers', sa.column('password_hash', sa.String), sa.column('password_outdated', sa.Boolean))
    op.execute(chargers.update().where(chargers.c.password_hash.is_not(None)).values(password_outdated=True))


def downgrade():
    with op.batch_alter_table('chargers', schema=None) as batch_op:
        batch_op.drop_column('password_outdated')
