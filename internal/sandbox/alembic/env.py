"""Alembic environment of the opsdeck demo: DATABASE_URL from the environment."""
import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine, pool

# Logging as Alembic's own template sets it up: "Running upgrade a -> b" lines.
if context.config.config_file_name:
    fileConfig(context.config.config_file_name)

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
