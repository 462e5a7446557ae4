"""login lock: per client, in the limiter's storage, not on the account row

A lock on the account itself let anyone lock anyone out; the failures now count
per address and client (recovery/auth/services.py), so the columns go.

Revision ID: 5a1f0c2d9e47
Revises: c315d65947cf
Create Date: 2026-12-04 03:58:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5a1f0c2d9e47'
down_revision = 'c315d65947cf'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('failed_logins')
        batch_op.drop_column('locked_until')


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False, server_default='0'))
