"""money: the balance ledger, the simulated gateway's memory, a booking's final total and top-up threshold,
one live authorisation per booking

A failed capture used to be a debt computed from the payments; it becomes an "owed" entry of the ledger (and
settled debts "paid" entries), so nothing a driver owes depends on which payment rows happen to exist.

Revision ID: 0003_money
Revises: 0002
Create Date: 2026-12-01 09:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_money'
down_revision = '0002'
branch_labels = None
depends_on = None

LIVE_AUTH = "kind = 'authorise' AND status IN ('pending', 'succeeded')"


def upgrade():
    op.create_table('gateway_records',
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_gateway_records'))
    )
    op.create_table('balance_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_key', sa.String(length=80), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('staff_user_id', sa.Integer(), nullable=True),
    sa.Column('payment_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_balance_entries_amount_positive')),
    sa.CheckConstraint("kind IN ('owed', 'paid', 'waived')", name=op.f('ck_balance_entries_kind_known')),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_balance_entries_booking_id_bookings')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_balance_entries_payment_id_payments')),
    sa.ForeignKeyConstraint(['staff_user_id'], ['users.id'], name=op.f('fk_balance_entries_staff_user_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_balance_entries_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_balance_entries')),
    sa.UniqueConstraint('entry_key', name=op.f('uq_balance_entries_entry_key'))
    )
    with op.batch_alter_table('balance_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_balance_entries_booking_id'), ['booking_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_balance_entries_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('amount_due', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('topup_at_wh', sa.Integer(), nullable=True))

    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index('uq_payments_live_authorisation', ['booking_id'], unique=True,
                              sqlite_where=sa.text(LIVE_AUTH), postgresql_where=sa.text(LIVE_AUTH))

    # The debts of before: a failed capture owed its amount, a succeeded "settle" paid part of the balance.
    op.execute("INSERT INTO balance_entries (entry_key, user_id, booking_id, kind, amount, currency, reason, "
               "payment_id, created_at) SELECT 'owed:booking:' || booking_id, user_id, booking_id, 'owed', amount, "
               "currency, 'capture failed', id, created_at FROM payments "
               "WHERE kind = 'capture' AND status = 'failed' AND booking_id IS NOT NULL AND amount > 0")
    op.execute("INSERT INTO balance_entries (entry_key, user_id, kind, amount, currency, reason, payment_id, "
               "created_at) SELECT 'paid:payment:' || id, user_id, 'paid', amount, currency, 'balance paid', id, "
               "created_at FROM payments WHERE kind = 'settle' AND status = 'succeeded' AND amount > 0")


def downgrade():
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index('uq_payments_live_authorisation', sqlite_where=sa.text(LIVE_AUTH),
                            postgresql_where=sa.text(LIVE_AUTH))
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('topup_at_wh')
        batch_op.drop_column('amount_due')
    with op.batch_alter_table('balance_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_balance_entries_user_id'))
        batch_op.drop_index(batch_op.f('ix_balance_entries_booking_id'))
    op.drop_table('balance_entries')
    op.drop_table('gateway_records')
