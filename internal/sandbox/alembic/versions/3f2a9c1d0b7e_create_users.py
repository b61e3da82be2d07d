"""create users

Revision ID: 3f2a9c1d0b7e
Revises:
Create Date: 2026-03-02 10:00:00
"""
from alembic import op

revision = "3f2a9c1d0b7e"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.execute("""
        CREATE TABLE users (
            id         serial PRIMARY KEY,
            email      text NOT NULL UNIQUE,
            created_at timestamptz NOT NULL DEFAULT now()
        )""")


def downgrade():
    op.execute("DROP TABLE users")
