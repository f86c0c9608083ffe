"""import jobs and SMS recipients are claimed with tokens, attempts and due times

Revision ID: 0003e
Revises: 0003b
Create Date: 2026-12-02 06:30:00

An import job records the run holding it (its claim token) and how many runs were started, so a
run whose lease passed writes nothing and a file that keeps killing workers ends `failed`. An
SMS recipient of a mailing is claimed, sent and recorded on its own, with its attempts and the
time its next attempt is due.
"""
from alembic import op
import sqlalchemy as sa

revision = '0003e'
down_revision = '0003b'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('import_job', sa.Column('claim_token', sa.UUID(), nullable=True))
    op.add_column('import_job', sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
    op.add_column('mailing_recipient', sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
    op.add_column('mailing_recipient', sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_mailing_recipient_due', 'mailing_recipient', ['next_attempt_at'], unique=False,
                    postgresql_where=sa.text("status IN ('pending', 'sending')"))


def downgrade() -> None:
    op.drop_index('ix_mailing_recipient_due', table_name='mailing_recipient',
                  postgresql_where=sa.text("status IN ('pending', 'sending')"))
    op.drop_column('mailing_recipient', 'next_attempt_at')
    op.drop_column('mailing_recipient', 'attempts')
    op.drop_column('import_job', 'attempts')
    op.drop_column('import_job', 'claim_token')
