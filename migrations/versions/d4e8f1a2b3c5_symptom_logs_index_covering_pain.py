"""symptom logs: the (patient, recorded_at) index also holds id and back pain, for the cohort summary

Revision ID: d4e8f1a2b3c5
Revises: b7c1d9e2f3a4
Create Date: 2026-12-07 17:10:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd4e8f1a2b3c5'
down_revision = 'b7c1d9e2f3a4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('symptom_logs', schema=None) as batch_op:
        batch_op.create_index(
            'ix_symptom_logs_patient_recorded_pain',
            ['patient_id', 'recorded_at', 'id', 'back_pain'],
            unique=False,
        )
        batch_op.drop_index('ix_symptom_logs_patient_recorded')


def downgrade():
    with op.batch_alter_table('symptom_logs', schema=None) as batch_op:
        batch_op.create_index(
            'ix_symptom_logs_patient_recorded', ['patient_id', 'recorded_at'], unique=False
        )
        batch_op.drop_index('ix_symptom_logs_patient_recorded_pain')
