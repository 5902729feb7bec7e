"""What an operator runs: backups taken while the API ingests, schema upgrades on demand,
retention and the erasure of one account's data, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from tests.conftest import TEST_KEY
from tests.helpers import account, report, write_jsonl
from tests.test_cli import run

from reportguard.access.keys import create_key
from reportguard.api import create_app
from reportguard.config import Settings
from reportguard.errors import ConfigError
from reportguard.ingest.hashing import IdentifierHasher
from reportguard.ingest.importer import Importer
from reportguard.moderation.appeals import file_appeal
from reportguard.moderation.review import claim, decide
from reportguard.store import audit
from reportguard.store.backup import backup, restore
from reportguard.store.database import create_engine
from reportguard.store.models import Account, Appeal, AuditEntry, Case, Report
from reportguard.store.retention import Keep, erase_account, prune
from reportguard.triage.cases import refresh_cases


def _report_ids(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(sa.select(Report.report_id)).scalars())


def _wait_for(condition: object, what: str) -> None:
    deadline = time.monotonic() + 120
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.01)


def test_a_backup_taken_while_the_api_ingests_restores_all_it_acknowledged(
    db_url: str, tmp_path: Path
) -> None:
    config = Settings(database_url=db_url)
    engine = create_engine(db_url)
    token = create_key(engine, "platform", "ingest", rate_limit="100000/second")[1]
    app = create_app(config, engine=engine, live_detection=False)
    acknowledged: list[str] = []
    stop = threading.Event()
    failures: list[str] = []
    path = tmp_path / "rg.backup"
    with TestClient(app) as client:

        def send() -> None:
            n = 0
            while not stop.is_set():
                batch = [report(n + i) for i in range(50)]
                answer = client.post(
                    "/v1/reports/batch",
                    json={"records": batch},
                    headers={"Authorization": f"Bearer {token}"},
                )
                if answer.status_code != 200:
                    failures.append(answer.text)
                    return
                acknowledged.extend(r["report_id"] for r in batch)
                n += 50

        sender = threading.Thread(target=send)
        sender.start()
        try:
            _wait_for(lambda: len(acknowledged) >= 500 or failures, "the first reports")
            before = set(acknowledged)  # acknowledged before the backup began
            backup(engine, path)
            done = len(acknowledged)
            _wait_for(lambda: len(acknowledged) >= done + 300 or failures, "reports after it")
        finally:
            stop.set()
            sender.join(60)
    assert not failures
    stored = _report_ids(engine)
    engine.dispose()
    assert before < stored

    restore(create_engine(db_url, migrate=False), path)
    restored = create_engine(db_url)
    try:
        kept = _report_ids(restored)
        assert before <= kept  # nothing acknowledged before the backup is missing
        assert kept < stored  # and it is a copy of that moment, not of the end
        chain = audit.verify(restored)
        assert chain.ok, chain.problems
        assert chain.entries >= len(before) // 50
    finally:
        restored.dispose()


def test_restore_refuses_to_overwrite_a_database_without_force(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db, copy = str(tmp_path / "rg.db"), str(tmp_path / "copy.db")
    path = write_jsonl(tmp_path / "r.jsonl", [report(n) for n in range(5)])
    assert run(capsys, "--db", db, "ingest", str(path))[0] == 0
    code, out, _ = run(capsys, "--db", db, "db", "backup", str(tmp_path / "b.db"))
    assert code == 0, out
    assert "backup written to" in out
    code, _, err = run(capsys, "--db", db, "db", "backup", str(tmp_path / "b.db"))
    assert code == 2
    assert "already exists" in err
    code, out, _ = run(capsys, "--db", copy, "db", "restore", str(tmp_path / "b.db"))
    assert code == 0
    assert "audit log intact" in out
    code, _, err = run(capsys, "--db", copy, "db", "restore", str(tmp_path / "b.db"))
    assert code == 2
    assert "give --force" in err
    code, _, err = run(capsys, "--db", copy, "db", "restore", "--force", str(tmp_path / "r.jsonl"))
    assert code == 2
    assert "not a ReportGuard SQLite backup" in err
    check = create_engine(f"sqlite:///{copy}")
    assert len(_report_ids(check)) == 5
    check.dispose()


def test_with_migrations_on_open_off_a_database_behind_is_refused_until_upgraded(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = str(tmp_path / "rg.db")
    sa.create_engine(f"sqlite:///{db}").dispose()
    with sa.create_engine(f"sqlite:///{db}").begin() as conn:
        conn.execute(sa.text("CREATE TABLE placeholder (x INTEGER)"))
    monkeypatch.setenv("REPORTGUARD_MIGRATE_ON_OPEN", "false")
    code, _, err = run(capsys, "--db", db, "stats")
    assert code == 2
    assert "is at schema none (empty)" in err
    assert "reportguard db upgrade" in err
    code, out, _ = run(capsys, "--db", db, "db", "current")
    assert code == 0
    assert "behind: run `reportguard db upgrade`" in out
    code, out, _ = run(capsys, "--db", db, "db", "upgrade")
    assert (code, "schema upgraded from none to") == (0, out[: len("schema upgraded from none to")])
    assert run(capsys, "--db", db, "stats")[0] == 0
    code, out, _ = run(capsys, "--db", db, "db", "current")
    assert "up to date" in out
    with pytest.raises(ConfigError, match="this version needs"):
        create_engine(f"sqlite:///{tmp_path / 'other.db'}", migrate=False, refuse_behind=True)


NOW = datetime(2026, 11, 30, tzinfo=UTC)
KEEP = Keep(
    identifiers=timedelta(days=90),
    texts=timedelta(days=365),
    reports=timedelta(days=730),
    answers=timedelta(days=7),
)


def _import(engine: Engine, records: list[dict[str, object]], tmp_path: Path) -> None:
    importer = Importer(engine, IdentifierHasher(TEST_KEY.encode()))
    summary = importer.import_file(write_jsonl(tmp_path / "r.jsonl", records))
    assert summary.rejected == 0


def test_prune_removes_identifiers_then_texts_then_reports_but_not_open_cases(
    engine: Engine, tmp_path: Path
) -> None:
    policy = Settings().policy()
    at = {"fresh": "2026-11-20T10:00:00Z", "months": "2026-05-01T10:00:00Z",
          "years": "2023-01-01T10:00:00Z"}  # fmt: skip
    _import(
        engine,
        [
            report(1, created_at=at["fresh"], target_id="t-a"),
            report(2, created_at=at["months"], target_id="t-a"),
            report(3, created_at=at["years"], target_id="t-decided"),
            report(4, created_at=at["years"], target_id="t-open"),
        ],
        tmp_path,
    )
    refresh_cases(engine, policy=policy, now=NOW)
    with engine.connect() as conn:
        decided = conn.execute(sa.select(Case.id).where(Case.target_id == "t-decided")).scalar_one()
    claim(engine, decided, "mod", policy=policy, now=NOW)
    decide(engine, decided, "mod", outcome="no_violation", policy=policy, now=NOW)

    assert prune(engine, KEEP, now=NOW, dry_run=True).reports == 1
    assert len(_report_ids(engine)) == 4  # a dry run removes nothing
    pruned = prune(engine, KEEP, now=NOW)
    assert pruned.as_dict() == {"identifiers": 3, "texts": 2, "reports": 1, "answers": 0}
    with engine.connect() as conn:
        rows = {
            r.report_id: (r.text is not None, r.ip_hash is not None)
            for r in conn.execute(sa.select(Report.report_id, Report.text, Report.ip_hash))
        }
    assert rows == {"r-1": (True, True), "r-2": (True, False), "r-4": (False, False)}
    assert prune(engine, KEEP, now=NOW).as_dict() == dict.fromkeys(pruned.as_dict(), 0)
    chain = audit.verify(engine)
    assert chain.ok, chain.problems
    with engine.connect() as conn:
        events = conn.execute(
            sa.select(AuditEntry.event).where(AuditEntry.event == "retention_applied")
        ).all()
    assert len(events) == 2  # the dry run left no entry


def test_erasing_an_account_removes_what_it_gave_and_keeps_the_audit_chain(
    engine: Engine, tmp_path: Path
) -> None:
    policy = Settings().policy()
    _import(
        engine,
        [
            *(report(i, reporter_id=f"u-{i}", target_id="t-bad") for i in range(5)),
            report(9, reporter_id="u-gone", target_id="t-bad", text="my words"),
            account("u-gone"),
        ],
        tmp_path,
    )
    refresh_cases(engine, policy=policy, now=NOW)
    with engine.connect() as conn:
        case_id = conn.execute(sa.select(Case.id)).scalar_one()
    claim(engine, case_id, "mod", policy=policy, now=NOW)
    outcome = decide(engine, case_id, "mod", outcome="no_violation", policy=policy, now=NOW)
    file_appeal(
        engine,
        appellant="u-gone",
        policy=policy,
        decision_id=outcome.decision_id,
        statement="they really did it",
        now=NOW,
    )
    erased = erase_account(engine, "u-gone", actor="operator", now=NOW)
    assert (erased.reports, erased.account, erased.appeals) == (1, 1, 1)
    with engine.connect() as conn:
        mine = conn.execute(
            sa.select(Report.text, Report.ip_hash, Report.device_hash).where(
                Report.reporter_id == "u-gone"
            )
        ).one()
        others = conn.execute(
            sa.select(sa.func.count()).where(Report.text.is_not(None))
        ).scalar_one()
        statement = conn.execute(sa.select(Appeal.statement)).scalar_one()
        snapshots = conn.execute(
            sa.select(sa.func.count()).where(Account.account_id == "u-gone")
        ).scalar_one()
    assert tuple(mine) == (None, None, None)
    assert (others, statement, snapshots) == (5, None, 0)
    chain = audit.verify(engine)
    assert chain.ok, chain.problems
    with engine.connect() as conn:
        entry = conn.execute(
            sa.select(AuditEntry.subject_id, AuditEntry.payload).where(
                AuditEntry.event == "account_erased"
            )
        ).one()
    assert entry.subject_id == "u-gone"
    assert "my words" not in str(entry.payload)
