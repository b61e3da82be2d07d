"""Alembic environment of the opsdeck demo: DATABASE_URL from the environment."""
import os

from alembic import context
from sqlalchemy import create_engine, pool

url = os.environ["DATABASE_URL"]

if context.is_offline_mode():
    context.configure(url=url, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=None)
        with context.begin_transaction():
            context.run_migrations()
