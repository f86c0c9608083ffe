"""push deliveries carry the claim that holds them

Revision ID: 0003f
Revises: 0003c
Create Date: 2026-12-02 06:10:00

A claimed delivery is stamped with its claim's random id. Whoever writes its outcome, renews its
lease or gives it back does so only while that id is still on the row: a worker whose lease ran
out and whose batch another worker claimed again can no longer turn `sent` back into `pending`
or `failed`.
"""
from alembic import op
import sqlalchemy as sa

revision = '0003f'
down_revision = '0003c'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('push_delivery', sa.Column('claim_id', sa.UUID(), nullable=True))
    # Only claimed rows carry a claim (it is cleared when their outcome is written).
    op.create_index('ix_push_delivery_claim', 'push_delivery', ['claim_id'], unique=False,
                    postgresql_where=sa.text('claim_id IS NOT NULL'))


def downgrade() -> None:
    op.drop_index('ix_push_delivery_claim', table_name='push_delivery',
                  postgresql_where=sa.text('claim_id IS NOT NULL'))
    op.drop_column('push_delivery', 'claim_id')
