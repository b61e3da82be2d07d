"""add user facts

Revision ID: 5a0f3b8e2c61
Revises: 1e9b7a6c5d40
Create Date: 2026-06-20 10:00:00
"""
from alembic import op

revision = "5a0f3b8e2c61"
down_revision = "1e9b7a6c5d40"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("""
        CREATE TABLE user_facts (
            id         serial PRIMARY KEY,
            user_id    integer NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            fact       text NOT NULL,
            confidence real NOT NULL DEFAULT 0.5 CHECK (confidence BETWEEN 0 AND 1)
        )""")


def downgrade():
    op.execute("DROP TABLE user_facts")
