"""a mailing's open recipients (pending or sending) by mailing, in place of its pending ones

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 13:30:00

Whether a mailing is finished asks for a recipient still pending or sending. No index held exactly
those by mailing, so the question read a bitmap of every recipient the mailing ever had (and every
earlier version of them) and their rows: a chunk of a large mailing cost more the further it got.
This index answers it with one probe, and the push claim (status = 'pending') reads it as it read
the index it replaces.
"""
from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_mailing_recipient_open', 'mailing_recipient', ['mailing_id'], unique=False,
                    postgresql_where=sa.text("status IN ('pending', 'sending')"))
    op.drop_index('ix_mailing_recipient_pending', table_name='mailing_recipient',
                  postgresql_where=sa.text("status = 'pending'"))


def downgrade() -> None:
    op.create_index('ix_mailing_recipient_pending', 'mailing_recipient', ['mailing_id'], unique=False,
                    postgresql_where=sa.text("status = 'pending'"))
    op.drop_index('ix_mailing_recipient_open', table_name='mailing_recipient',
                  postgresql_where=sa.text("status IN ('pending', 'sending')"))
