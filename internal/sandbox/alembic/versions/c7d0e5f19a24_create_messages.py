"""create messages

Revision ID: c7d0e5f19a24
Revises: 8b41d2e7a9c3
Create Date: 2026-04-01 10:00:00
"""
from alembic import op

revision = 'c7d0e5f19a24'
down_revision = '8b41d2e7a9c3'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("""
        CREATE TABLE messages (
            id              bigserial PRIMARY KEY,
            conversation_id integer NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            role            text NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
            content         text NOT NULL,
            created_at      timestamptz NOT NULL DEFAULT now()
        )""")
    op.execute("CREATE INDEX ix_messages_conversation ON messages (conversation_id, created_at)")


def downgrade():
    op.execute("DROP TABLE messages")
