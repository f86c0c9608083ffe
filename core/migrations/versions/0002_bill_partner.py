"""bills carry their partner

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 00:58:00

A bill belonged to its partner only through its personal account. With the partner on the row, a
bill's write renews the cached app screens of that partner's residents alone (core/writes.py)
instead of every resident's.
"""
from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('bill', sa.Column('partner_id', sa.UUID(), nullable=True))
    op.execute("UPDATE bill SET partner_id = pa.partner_id FROM personal_account pa "
               "WHERE pa.id = bill.personal_account_id")
    op.alter_column('bill', 'partner_id', nullable=False)
    op.create_foreign_key(op.f('fk_bill_partner_id_partner'), 'bill', 'partner', ['partner_id'], ['id'],
                          ondelete='CASCADE')


def downgrade() -> None:
    op.drop_constraint(op.f('fk_bill_partner_id_partner'), 'bill', type_='foreignkey')
    op.drop_column('bill', 'partner_id')
