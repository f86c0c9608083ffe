"""orders carry what staff have not seen; first reports of "off" are no opt-outs; every
registration request has its partner; the object catalogue's search index

Revision ID: 0003g
Revises: 0003e
Create Date: 2026-12-02 06:20:00

The orders inbox marks a new order or a resident's change that no staff member has opened yet:
`changed_for_staff_at` (set by the app) against `seen_by_staff_at` (set when staff open or patch
the order). Orders that exist already count as seen.

PUSH-07: a session's first settings report is no change, so a first event that turned push off
(the user denied the permission at the prompt) was never an opt-out; those rows are corrected.
"""
from alembic import op
import sqlalchemy as sa

revision = '0003g'
down_revision = '0003e'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('client_order', sa.Column('changed_for_staff_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('client_order', sa.Column('seen_by_staff_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_client_order_partner_updated', 'client_order', ['partner_id', 'updated_at', 'id'])
    op.execute("""
        UPDATE notification_settings_event e SET opt_out = false
        WHERE e.opt_out AND e.os_notifications_enabled IS FALSE
          AND NOT EXISTS (SELECT 1 FROM notification_settings_event p
                          WHERE p.session_id = e.session_id AND p.created_at < e.created_at)""")
    op.execute("DELETE FROM registration_request WHERE partner_id IS NULL")
    op.alter_column('registration_request', 'partner_id', nullable=False)
    if op.get_bind().execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).first():
        op.execute("CREATE INDEX ix_estate_object_search_trgm ON estate_object "
                   "USING gin (lower((name || ' ' || address)) gin_trgm_ops)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_estate_object_search_trgm")
    op.alter_column('registration_request', 'partner_id', nullable=True)
    op.drop_index('ix_client_order_partner_updated', table_name='client_order')
    op.drop_column('client_order', 'seen_by_staff_at')
    op.drop_column('client_order', 'changed_for_staff_at')
