"""wake the push workers at once: a NOTIFY on the push_outbox channel when a push waits

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 10:00:00

An insert into the outbox (push_message) or of a push mailing notifies `push_outbox` when its
transaction commits (none for one rolled back). Idle workers LISTEN on it and start at once
instead of at their next poll (push/wakeup.py); the poll stays the fallback. One notification
per statement: a mailing chunk of 2,000 notifications is one wake-up.
"""
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

CHANNEL = "push_outbox"


def upgrade() -> None:
    op.execute(f"""
        CREATE FUNCTION push_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('{CHANNEL}', '');
            RETURN NULL;
        END $$""")
    op.execute("""CREATE TRIGGER push_message_notify AFTER INSERT ON push_message
                  FOR EACH STATEMENT EXECUTE FUNCTION push_outbox_notify()""")
    op.execute("""CREATE TRIGGER mailing_push_notify AFTER INSERT ON mailing
                  FOR EACH ROW WHEN (NEW.channel = 'push') EXECUTE FUNCTION push_outbox_notify()""")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS mailing_push_notify ON mailing")
    op.execute("DROP TRIGGER IF EXISTS push_message_notify ON push_message")
    op.execute("DROP FUNCTION IF EXISTS push_outbox_notify()")
