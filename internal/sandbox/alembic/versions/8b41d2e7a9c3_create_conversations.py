"""create conversations

Revision ID: 8b41d2e7a9c3
Revises: 3f2a9c1d0b7e
Create Date: 2026-03-09 10:00:00
"""
from typing import Sequence, Union

from alembic import op

revision: str = "8b41d2e7a9c3"
down_revision: Union[str, None] = "3f2a9c1d0b7e"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE conversations (
            id         serial PRIMARY KEY,
            user_id    integer NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            title      text,
            created_at timestamptz NOT NULL DEFAULT now()
        )""")


def downgrade() -> None:
    op.execute("DROP TABLE conversations")
