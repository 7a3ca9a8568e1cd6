"""Alembic environment: runs migrations on the connection `custos.store.migrate` hands over."""

from __future__ import annotations

from alembic import context

from custos.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through custos.store.migrate.upgrade()")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
