"""stored app use per card: first login and last visit as the card's partner sees them

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 12:00:00

`client_app_use` holds, for every client card, the first login and the last visit of the account
behind the card's phone in the apps the card's partner sees (STAFF-04): the partner's white-label
apps, and the unified app while the card has a premise. The CRM list sorted by last visit reads
it in the order of one index instead of aggregating every session of the partner per request.

Triggers keep it in step with every write that changes the answer, in the writing transaction:
a session created, stamped or removed, a card created or its phone changed, a premise link made,
moved or removed, a brand created, renamed or removed, an account's phone changed or the account
removed. Each recomputes the affected cards whole, by the same rule as `core.scope.app_use_select`
(its SQL twin; tests/core/test_app_use_stored.py holds the two to the same answer). A recompute
first locks the cards' rows, then reads the sessions in a statement of its own: two visits of one
phone at once end with the later writer reading the earlier one's committed stamp.
"""
from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

UNIFIED_APP_ID = "domiland"  # core.enums.UNIFIED_APP_ID when this was written
EPOCH = "'1970-01-01 00:00:00+00'::timestamptz"

# The cards of `card_ids` recomputed: sessions of the account with the card's phone, in an app of
# the card's partner or in the unified app while the card has a premise link.
APP_USE_OF_CARD = f"""
    LEFT JOIN LATERAL (
        SELECT min(s.created_at) AS first_login_at, max(s.last_activity_at) AS last_visit_at
        FROM account a JOIN device_session s ON s.account_id = a.id
        WHERE a.phone = c.phone
          AND (s.app_id IN (SELECT b.slug FROM brand b WHERE b.partner_id = c.partner_id)
               OR (s.app_id = '{UNIFIED_APP_ID}'
                   AND EXISTS (SELECT 1 FROM premise_link l WHERE l.client_id = c.id)))
    ) v ON TRUE"""


def upgrade() -> None:
    op.create_table(
        'client_app_use',
        sa.Column('client_id', sa.UUID(), nullable=False),
        sa.Column('partner_id', sa.UUID(), nullable=False),
        sa.Column('first_login_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_visit_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_client_app_use_client_id_client'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('client_id', name=op.f('pk_client_app_use')),
    )
    # The list's order by last visit (never visited as 1970), the same expression as its sort key.
    op.execute(f"CREATE INDEX ix_client_app_use_visit ON client_app_use "
               f"(partner_id, COALESCE(last_visit_at, {EPOCH}), client_id)")
    op.execute(f"""
        INSERT INTO client_app_use (client_id, partner_id, first_login_at, last_visit_at)
        SELECT c.id, c.partner_id, v.first_login_at, v.last_visit_at FROM client c {APP_USE_OF_CARD}""")

    op.execute(f"""
        CREATE FUNCTION client_app_use_refresh(card_ids uuid[]) RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
            IF card_ids IS NULL OR cardinality(card_ids) = 0 THEN
                RETURN;
            END IF;
            -- Locked first, in one order: the recompute below is a statement of its own and so
            -- reads what a concurrent writer of these cards committed while this one waited.
            PERFORM 1 FROM client_app_use WHERE client_id = ANY(card_ids) ORDER BY client_id FOR UPDATE;
            UPDATE client_app_use u
            SET partner_id = c.partner_id, first_login_at = v.first_login_at, last_visit_at = v.last_visit_at
            FROM client c {APP_USE_OF_CARD}
            WHERE c.id = ANY(card_ids) AND u.client_id = c.id
              AND (u.partner_id, u.first_login_at, u.last_visit_at)
                  IS DISTINCT FROM (c.partner_id, v.first_login_at, v.last_visit_at);
        END $$""")

    # The cards of the phones `phones` (every partner's).
    op.execute("""
        CREATE FUNCTION client_app_use_refresh_phones(phones text[]) RETURNS void LANGUAGE sql AS $$
            SELECT client_app_use_refresh(ARRAY(
                SELECT c.id FROM client c WHERE c.phone = ANY(phones) AND c.phone IS NOT NULL))
        $$""")

    # Sessions: one row at a time (a login, a visit's stamp); the cards of the account's phone.
    op.execute("""
        CREATE FUNCTION client_app_use_on_session() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM client_app_use_refresh_phones(ARRAY(
                SELECT a.phone FROM account a
                WHERE a.id = NEW.account_id OR (TG_OP <> 'INSERT' AND a.id = OLD.account_id)));
            RETURN NULL;
        END $$""")
    op.execute("""CREATE TRIGGER client_app_use_session_insert AFTER INSERT ON device_session
                  FOR EACH ROW EXECUTE FUNCTION client_app_use_on_session()""")
    op.execute("""CREATE TRIGGER client_app_use_session_update
                  AFTER UPDATE OF account_id, app_id, created_at, last_activity_at ON device_session
                  FOR EACH ROW WHEN (OLD.account_id IS DISTINCT FROM NEW.account_id
                                     OR OLD.app_id IS DISTINCT FROM NEW.app_id
                                     OR OLD.created_at IS DISTINCT FROM NEW.created_at
                                     OR OLD.last_activity_at IS DISTINCT FROM NEW.last_activity_at)
                  EXECUTE FUNCTION client_app_use_on_session()""")
    op.execute("""
        CREATE FUNCTION client_app_use_on_session_delete() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM client_app_use_refresh_phones(ARRAY(SELECT a.phone FROM account a WHERE a.id = OLD.account_id));
            RETURN NULL;
        END $$""")
    op.execute("""CREATE TRIGGER client_app_use_session_delete AFTER DELETE ON device_session
                  FOR EACH ROW EXECUTE FUNCTION client_app_use_on_session_delete()""")

    # Cards: set-based per statement, so an import of many cards is one pass.
    op.execute("""
        CREATE FUNCTION client_app_use_on_client_insert() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO client_app_use (client_id, partner_id) SELECT n.id, n.partner_id FROM new_cards n;
            PERFORM client_app_use_refresh(ARRAY(
                SELECT n.id FROM new_cards n JOIN account a ON a.phone = n.phone));
            RETURN NULL;
        END $$""")
    op.execute("""CREATE TRIGGER client_app_use_client_insert AFTER INSERT ON client
                  REFERENCING NEW TABLE AS new_cards
                  FOR EACH STATEMENT EXECUTE FUNCTION client_app_use_on_client_insert()""")
    op.execute("""
        CREATE FUNCTION client_app_use_on_client_update() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM client_app_use_refresh(ARRAY(
                SELECT n.id FROM new_cards n JOIN old_cards o ON o.id = n.id
                WHERE o.phone IS DISTINCT FROM n.phone OR o.partner_id IS DISTINCT FROM n.partner_id));
            RETURN NULL;
        END $$""")
    op.execute("""CREATE TRIGGER client_app_use_client_update AFTER UPDATE ON client
                  REFERENCING OLD TABLE AS old_cards NEW TABLE AS new_cards
                  FOR EACH STATEMENT EXECUTE FUNCTION client_app_use_on_client_update()""")

    # Premise links: whether the card has a premise decides the unified app's sessions.
    op.execute("""
        CREATE FUNCTION client_app_use_on_link() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                PERFORM client_app_use_refresh(ARRAY(SELECT DISTINCT n.client_id FROM new_links n));
            ELSIF TG_OP = 'DELETE' THEN
                PERFORM client_app_use_refresh(ARRAY(SELECT DISTINCT o.client_id FROM old_links o));
            ELSE
                -- A link moved to another card: both cards, the one it left and the one it joined.
                PERFORM client_app_use_refresh(ARRAY(
                    SELECT DISTINCT side.card FROM old_links o JOIN new_links n ON n.id = o.id,
                        unnest(ARRAY[o.client_id, n.client_id]) AS side(card)
                    WHERE o.client_id IS DISTINCT FROM n.client_id AND side.card IS NOT NULL));
            END IF;
            RETURN NULL;
        END $$""")
    op.execute("""CREATE TRIGGER client_app_use_link_insert AFTER INSERT ON premise_link
                  REFERENCING NEW TABLE AS new_links
                  FOR EACH STATEMENT EXECUTE FUNCTION client_app_use_on_link()""")
    op.execute("""CREATE TRIGGER client_app_use_link_update AFTER UPDATE ON premise_link
                  REFERENCING OLD TABLE AS old_links NEW TABLE AS new_links
                  FOR EACH STATEMENT EXECUTE FUNCTION client_app_use_on_link()""")
    op.execute("""CREATE TRIGGER client_app_use_link_delete AFTER DELETE ON premise_link
                  REFERENCING OLD TABLE AS old_links
                  FOR EACH STATEMENT EXECUTE FUNCTION client_app_use_on_link()""")

    # Brands: which white-label apps a partner sees (rare writes): the partner's cards whose
    # phone has a session in the app. One function per event, each with its transition tables.
    for event, tables, source in (
            ("insert", "REFERENCING NEW TABLE AS new_brands", "SELECT slug, partner_id FROM new_brands"),
            ("update", "REFERENCING OLD TABLE AS old_brands NEW TABLE AS new_brands",
             "SELECT slug, partner_id FROM new_brands UNION SELECT slug, partner_id FROM old_brands"),
            ("delete", "REFERENCING OLD TABLE AS old_brands", "SELECT slug, partner_id FROM old_brands")):
        op.execute(f"""
            CREATE FUNCTION client_app_use_on_brand_{event}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM client_app_use_refresh(ARRAY(
                    SELECT c.id FROM ({source}) b
                    JOIN client c ON c.partner_id = b.partner_id
                    JOIN account a ON a.phone = c.phone
                    WHERE EXISTS (SELECT 1 FROM device_session s WHERE s.account_id = a.id AND s.app_id = b.slug)));
                RETURN NULL;
            END $$""")
        op.execute(f"""CREATE TRIGGER client_app_use_brand_{event} AFTER {event.upper()} ON brand {tables}
                       FOR EACH STATEMENT EXECUTE FUNCTION client_app_use_on_brand_{event}()""")

    # Accounts: a phone changed or an account removed (its sessions go with it).
    op.execute("""
        CREATE FUNCTION client_app_use_on_account_update() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            -- A phone changed: the cards of the phone it had and of the one it has.
            PERFORM client_app_use_refresh_phones(ARRAY(
                SELECT DISTINCT side.phone FROM old_accounts o JOIN new_accounts n ON n.id = o.id,
                    unnest(ARRAY[o.phone, n.phone]) AS side(phone)
                WHERE o.phone IS DISTINCT FROM n.phone));
            RETURN NULL;
        END $$""")
    op.execute("""CREATE TRIGGER client_app_use_account_update AFTER UPDATE ON account
                  REFERENCING OLD TABLE AS old_accounts NEW TABLE AS new_accounts
                  FOR EACH STATEMENT EXECUTE FUNCTION client_app_use_on_account_update()""")
    op.execute("""
        CREATE FUNCTION client_app_use_on_account_delete() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM client_app_use_refresh_phones(ARRAY(SELECT o.phone FROM old_accounts o));
            RETURN NULL;
        END $$""")
    op.execute("""CREATE TRIGGER client_app_use_account_delete AFTER DELETE ON account
                  REFERENCING OLD TABLE AS old_accounts
                  FOR EACH STATEMENT EXECUTE FUNCTION client_app_use_on_account_delete()""")


def downgrade() -> None:
    for table, name in (("account", "account_delete"), ("account", "account_update"),
                        ("brand", "brand_insert"), ("brand", "brand_update"), ("brand", "brand_delete"),
                        ("premise_link", "link_insert"), ("premise_link", "link_update"),
                        ("premise_link", "link_delete"), ("client", "client_insert"), ("client", "client_update"),
                        ("device_session", "session_insert"), ("device_session", "session_update"),
                        ("device_session", "session_delete")):
        op.execute(f"DROP TRIGGER IF EXISTS client_app_use_{name} ON {table}")
    for function in ("on_account_delete", "on_account_update", "on_brand_insert", "on_brand_update",
                     "on_brand_delete", "on_link", "on_client_insert", "on_client_update", "on_session",
                     "on_session_delete"):
        op.execute(f"DROP FUNCTION IF EXISTS client_app_use_{function}()")
    op.execute("DROP FUNCTION IF EXISTS client_app_use_refresh_phones(text[])")
    op.execute("DROP FUNCTION IF EXISTS client_app_use_refresh(uuid[])")
    op.drop_table('client_app_use')
