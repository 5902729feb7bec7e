"""Shared fixtures: a fresh database per test, on SQLite and on a real PostgreSQL server.

PostgreSQL tests need ``REPORTGUARD_TEST_POSTGRES_URL`` (an admin URL; each test gets its own
database). ``scripts/test.sh`` starts a throwaway server and sets it. Without the variable the
PostgreSQL tests are skipped, unless ``REPORTGUARD_REQUIRE_POSTGRES=1`` (set by CI) turns the skip
into a failure, so CI can never pass by silently not testing PostgreSQL.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from reportguard.config import database_url_from
from reportguard.store.database import create_engine

TEST_KEY = "test-key-0123456789abcdef-0123456789abcdef"


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's real config, key file or database."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("REPORTGUARD_SECRET_KEY", TEST_KEY)
    monkeypatch.delenv("REPORTGUARD_DATABASE_URL", raising=False)
    monkeypatch.delenv("REPORTGUARD_SECRET_KEY_FILE", raising=False)


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    """A test that runs `serve` (which configures logging) leaves no handler behind."""
    import logging

    loggers = [logging.getLogger(), logging.getLogger("reportguard.access")]
    saved = [(lg, list(lg.handlers), lg.level, lg.propagate) for lg in loggers]
    yield
    for logger, handlers, level, propagate in saved:
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate


def _postgres_admin_url() -> str | None:
    url = os.environ.get("REPORTGUARD_TEST_POSTGRES_URL")
    if url:
        return database_url_from(url)
    if os.environ.get("REPORTGUARD_REQUIRE_POSTGRES") == "1":
        pytest.fail("REPORTGUARD_REQUIRE_POSTGRES=1 but REPORTGUARD_TEST_POSTGRES_URL is not set")
    pytest.skip("no PostgreSQL server (set REPORTGUARD_TEST_POSTGRES_URL; scripts/test.sh does)")
    return None  # pragma: no cover


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    admin_url = _postgres_admin_url()
    assert admin_url is not None
    name = f"rg_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'reportguard.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """The same test on an SQLite file and on a real PostgreSQL database."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = create_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    engine = create_engine(sqlite_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def small_simulation(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `small` preset, simulated once for the whole test session (about 0.5 s)."""
    from reportguard.simulate import preset, simulate

    out = tmp_path_factory.mktemp("small")
    simulate(preset("small"), out)
    return out


@pytest.fixture(scope="session")
def platform_template(small_simulation: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `small` platform imported, detected and triaged once into an SQLite file; tests copy
    it (:func:`platform_copy`) rather than change it."""
    from reportguard.config import Settings
    from reportguard.pipeline.demo import DemoRun, load_platform

    database = tmp_path_factory.mktemp("platform") / "reportguard.db"
    engine = create_engine(database_url_from(str(database)))
    settings = Settings(secret_key=TEST_KEY)
    load_platform(
        engine, small_simulation, settings=settings, run=DemoRun(database.parent, database)
    )
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return database


@pytest.fixture
def platform_copy(platform_template: Path, tmp_path: Path) -> str:
    """A private copy of the populated platform database, as a database URL."""
    import shutil

    target = tmp_path / "platform.db"
    shutil.copyfile(platform_template, target)
    return f"sqlite:///{target}"
