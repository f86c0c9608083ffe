"""idempotency records

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 06:10:00

The first answer to a creating request sent with an `Idempotency-Key`, kept for a day so that a
retried request returns it and creates nothing new.
"""
from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'idempotency_record',
        sa.Column('scope', sa.String(length=200), nullable=False),
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('request_hash', sa.String(length=64), nullable=False),
        sa.Column('status_code', sa.SmallInteger(), nullable=True),
        sa.Column('body', sa.LargeBinary(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('clock_timestamp()'),
                  nullable=False),
        sa.PrimaryKeyConstraint('scope', 'key', name=op.f('pk_idempotency_record')),
    )
    op.create_index('ix_idempotency_record_created_at', 'idempotency_record', ['created_at'])


def downgrade() -> None:
    op.drop_index('ix_idempotency_record_created_at', table_name='idempotency_record')
    op.drop_table('idempotency_record')
