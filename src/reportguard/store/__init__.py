"""Store: SQLAlchemy 2 models, engine factory and Alembic migrations (SQLite or PostgreSQL)."""
