"""users: language of pages, emails and reminders

Revision ID: a1f0c2d3e4b5
Revises: 7b7007f6cb84
Create Date: 2026-12-07 13:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a1f0c2d3e4b5'
down_revision = '7b7007f6cb84'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('language', sa.String(length=8), server_default='en', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('language')
