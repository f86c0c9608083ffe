"""access can be taken away; an unconfirmed owner depends on nobody

Revision ID: 0003a
Revises: 0003
Create Date: 2026-12-02 06:10:00

The platform admin lists and revokes API keys (with the time each was last used) and deactivates
staff: a staff member's tokens carry the version they were issued under, and deactivation moves
it on, so tokens issued before stay dead even if the account is activated again.
An unconfirmed owner exists precisely while no confirmed owner is registered, so its link names
no owner it depends on (SPEC section 2).
"""
from alembic import op
import sqlalchemy as sa

revision = '0003a'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('api_key', sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('staff', sa.Column('token_version', sa.Integer(), server_default='0', nullable=False))
    op.drop_constraint(op.f('ck_premise_link_depends_on'), 'premise_link', type_='check')
    op.execute("UPDATE premise_link SET depends_on_client_id = NULL WHERE role = 'unconfirmed_owner'")
    op.create_check_constraint(op.f('ck_premise_link_depends_on'), 'premise_link',
                               "role IN ('owner', 'unconfirmed_owner') OR depends_on_client_id IS NOT NULL")


def downgrade() -> None:
    op.drop_constraint(op.f('ck_premise_link_depends_on'), 'premise_link', type_='check')
    op.execute("DELETE FROM premise_link WHERE role = 'unconfirmed_owner' AND depends_on_client_id IS NULL")
    op.create_check_constraint(op.f('ck_premise_link_depends_on'), 'premise_link',
                               "role = 'owner' OR depends_on_client_id IS NOT NULL")
    op.drop_column('staff', 'token_version')
    op.drop_column('api_key', 'last_used_at')
