"""users: the units a patient's thermometer and scale show

Revision ID: b7c1d9e2f3a4
Revises: a1f0c2d3e4b5
Create Date: 2026-12-07 14:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7c1d9e2f3a4'
down_revision = 'a1f0c2d3e4b5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('temperature_unit', sa.String(length=2), server_default='C', nullable=False)
        )
        batch_op.add_column(
            sa.Column('weight_unit', sa.String(length=3), server_default='kg', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('weight_unit')
        batch_op.drop_column('temperature_unit')
