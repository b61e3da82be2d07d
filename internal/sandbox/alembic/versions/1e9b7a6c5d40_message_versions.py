"""add message versions

Revision ID: 1e9b7a6c5d40
Revises: c7d0e5f19a24
Create Date: 2026-05-12 10:00:00
"""
from alembic import op

revision = "1e9b7a6c5d40"
down_revision = "c7d0e5f19a24"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("""
        CREATE TABLE message_versions (
            id         bigserial PRIMARY KEY,
            message_id bigint NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
            version    integer NOT NULL,
            content    text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (message_id, version)
        )""")
    # Built without CONCURRENTLY: writes to messages wait for the build (the
    # preflight's hazard).
    op.execute("CREATE INDEX ix_messages_created ON messages (created_at)")


def downgrade():
    op.execute("DROP INDEX ix_messages_created")
    op.execute("DROP TABLE message_versions")
