"""an index of a partner's orders by kind and status

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:15:00

My Orders' empty state asks whether the partner has events planned or ongoing (APP-ORD-03); without
this index that question read every order of every partner, on every My Orders request.
"""
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_client_order_partner_kind_status', 'client_order', ['partner_id', 'kind', 'status'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_client_order_partner_kind_status', table_name='client_order')
