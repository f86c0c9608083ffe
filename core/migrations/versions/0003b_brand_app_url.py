"""brands carry their white-label app's link

Revision ID: 0003b
Revises: 0003f
Create Date: 2026-12-02 06:20:00

A person card's invite link is the link of the app the viewer uses (PEOPLE-CARD-01): a white-label
app's is its brand's, set by the platform admin.
"""
from alembic import op
import sqlalchemy as sa

revision = '0003b'
down_revision = '0003f'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('brand', sa.Column('app_url', sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column('brand', 'app_url')
