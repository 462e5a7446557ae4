"""reminders: the pending queue's index holds (send_at, id), the order a claim takes rows in

Revision ID: e5f2a7b9c1d3
Revises: d4e8f1a2b3c5
Create Date: 2026-12-07 22:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5f2a7b9c1d3'
down_revision = 'd4e8f1a2b3c5'
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")


def upgrade():
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.drop_index('ix_reminders_pending', sqlite_where=PENDING, postgresql_where=PENDING)
        batch_op.create_index('ix_reminders_pending', ['send_at', 'id'], unique=False, sqlite_where=PENDING, postgresql_where=PENDING)


def downgrade():
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.drop_index('ix_reminders_pending', sqlite_where=PENDING, postgresql_where=PENDING)
        batch_op.create_index('ix_reminders_pending', ['send_at'], unique=False, sqlite_where=PENDING, postgresql_where=PENDING)
