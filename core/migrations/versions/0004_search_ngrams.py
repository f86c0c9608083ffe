"""phone fragment search without an extension: an index of the phones' 3- and 4-digit n-grams;
the name order of the cards of each first and middle name

Revision ID: 0004
Revises: 0003g
Create Date: 2026-12-02 09:00:00

CRM-CLI-01 finds a client by any part of the phone's digits. `search_grams(text)` is every 3- and
4-character substring of a text; a built-in GIN index over `search_grams(phone)` (an expression,
so every write path keeps it in step with the phone by construction) finds the cards holding the
n-grams of a fragment, and `phone LIKE` checks them. It works on any PostgreSQL, pg_trgm or not,
so the trigram index of the phones, which search no longer reads, is dropped.

A name search's first- and middle-name branches read each name the prefix stands for in the
name order of client lists (ix_client_name_sort's keys after the name).
"""
from alembic import op

revision = '0004'
down_revision = '0003g'
branch_labels = None
depends_on = None

# IMMUTABLE and built from pg_catalog functions only, so an index may use it whatever the
# search_path of the session that writes the row.
SEARCH_GRAMS = """
CREATE OR REPLACE FUNCTION search_grams(value text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT substr(value, i, n)), '{}')
    FROM generate_series(3, 4) AS n, generate_series(1, length(value) - n + 1) AS i
$$"""
NAME_ORDER = "lower(COALESCE(last_name, organization_name, '')), lower(COALESCE(first_name, '')), id"
NAME_ORDER_INDEXES = {
    "ix_client_first_name_order": f"client (partner_id, lower(first_name), {NAME_ORDER})",
    "ix_client_middle_name_order": f"client (partner_id, lower(middle_name), {NAME_ORDER})",
}


def upgrade() -> None:
    op.execute(SEARCH_GRAMS)
    op.execute("CREATE INDEX IF NOT EXISTS ix_client_phone_grams ON client USING gin (search_grams(phone))")
    op.execute("DROP INDEX IF EXISTS ix_client_phone_trgm")
    for name, definition in NAME_ORDER_INDEXES.items():
        op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")


def downgrade() -> None:
    for name in NAME_ORDER_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    op.execute("DROP INDEX IF EXISTS ix_client_phone_grams")
    op.execute("DROP FUNCTION IF EXISTS search_grams(text)")
    op.execute("""
        DO $$
        BEGIN
            IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
                CREATE INDEX IF NOT EXISTS ix_client_phone_trgm ON client USING gin (phone gin_trgm_ops);
            END IF;
        END $$""")
