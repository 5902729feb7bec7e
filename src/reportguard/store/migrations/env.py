"""Alembic environment: uses the engine ReportGuard opened (see reportguard.store.migrate)."""

from alembic import context

from reportguard.store.models import Base

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
