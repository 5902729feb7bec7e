"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine

from reportguard.store.database import create_engine
from reportguard.store.migrate import current_revision, head_revision, upgrade
from reportguard.store.models import Base


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    assert current_revision(engine) == head_revision()


def test_upgrade_is_idempotent(engine: Engine) -> None:
    upgrade(engine)
    upgrade(engine)
    assert current_revision(engine) == head_revision()


def test_sqlite_runs_in_wal_mode(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_the_numbered_file_names_give_alembics_head() -> None:
    """Opening a database compares its revision with the newest file's number, not Alembic's
    script directory (slow to load on every command): both must name the same head."""
    from reportguard.store.migrate import newest_file_revision

    assert newest_file_revision() == head_revision()


def test_a_database_one_migration_behind_is_upgraded_on_open(sqlite_url: str) -> None:
    from alembic import command

    from reportguard.store.migrate import alembic_config

    engine = create_engine(sqlite_url)
    command.downgrade(alembic_config(engine), "-1")
    assert current_revision(engine) != head_revision()
    engine.dispose()
    engine = create_engine(sqlite_url)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_an_index_dropped_by_a_killed_import_is_rebuilt_on_open(sqlite_url: str) -> None:
    from reportguard.store.indexes import deferrable_indexes, drop_deferrable_indexes

    engine = create_engine(sqlite_url)
    with engine.begin() as conn:
        drop_deferrable_indexes(conn)
    engine.dispose()
    engine = create_engine(sqlite_url)
    with engine.connect() as conn:
        names = set(
            conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='index'").scalars()
        )
    assert {index.name for index in deferrable_indexes()} <= names
    engine.dispose()
