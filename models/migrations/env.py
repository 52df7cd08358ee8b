"""Alembic environment: run with a connection handed over by ``app.workspaces.engines.migrate``."""

from __future__ import annotations

from alembic import context

from models import Base

connection = context.config.attributes.get("connection")
target_metadata = Base.metadata

if connection is None:
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
