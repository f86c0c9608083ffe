"""device sessions belong to the apps they were opened in

Revision ID: 0003c
Revises: 0003a
Create Date: 2026-12-02 06:20:00

STAFF-04: a partner sees a resident's session of its own brands' apps, and of the unified app only
while the account has a premise of that partner; never a session of another partner's
white-label app (core/scope.py). App visits record the app they were made in, so the push monitor
counts a partner's own apps only; visits written before are given the app of the account's
session active then. Every session of an account is found by its account (ended ones too): the
CRM's first login and last visit come from them.
"""
from alembic import op
import sqlalchemy as sa

revision = '0003c'
down_revision = '0003a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every session of an account, ended ones included: the CRM's first login and last visit.
    op.create_index('ix_device_session_account_id', 'device_session', ['account_id'], unique=False)
    op.add_column('app_visit', sa.Column('app_id', sa.String(length=64), server_default='', nullable=False))
    op.execute("""
        UPDATE app_visit v SET app_id = COALESCE((
            SELECT s.app_id FROM device_session s
            WHERE s.account_id = v.account_id AND s.created_at < v.day + 1
            ORDER BY s.last_activity_at DESC LIMIT 1), '')""")
    op.drop_constraint('uq_app_visit_day_account_id_app_version', 'app_visit', type_='unique')
    op.create_unique_constraint(op.f('uq_app_visit_day_account_id_app_version_app_id'), 'app_visit',
                                ['day', 'account_id', 'app_version', 'app_id'])
    op.drop_index('ix_app_visit_day_version', table_name='app_visit')
    op.create_index('ix_app_visit_day_version', 'app_visit', ['day', 'app_version_num'], unique=False,
                    postgresql_include=['account_id', 'push_enabled', 'app_id'])


def downgrade() -> None:
    op.drop_index('ix_app_visit_day_version', table_name='app_visit')
    op.create_index('ix_app_visit_day_version', 'app_visit', ['day', 'app_version_num'], unique=False,
                    postgresql_include=['account_id', 'push_enabled'])
    op.drop_constraint(op.f('uq_app_visit_day_account_id_app_version_app_id'), 'app_visit', type_='unique')
    op.execute("DELETE FROM app_visit v USING app_visit w WHERE v.day = w.day AND v.account_id = w.account_id "
               "AND v.app_version = w.app_version AND v.id > w.id")
    op.create_unique_constraint('uq_app_visit_day_account_id_app_version', 'app_visit',
                                ['day', 'account_id', 'app_version'])
    op.drop_column('app_visit', 'app_id')
    op.drop_index('ix_device_session_account_id', table_name='device_session')
