"""Alembic's entry point: runs the migrations on the engine the server passes in."""

from __future__ import annotations

from alembic import context

from grader.server.models import Base

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
