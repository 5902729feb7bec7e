"""Statements of reasons for the DSA Transparency Database: every one the export writes passes
a stand-in for the database that applies the same rules, and ``--submit`` sends each statement
exactly once, even when it is killed half way and run again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from tests.conftest import TEST_KEY
from tests.helpers import report, write_jsonl

from reportguard.ingest.hashing import IdentifierHasher
from reportguard.ingest.importer import Importer
from reportguard.moderation.review import claim, decide
from reportguard.oversight.dsa import statements
from reportguard.oversight.dsa_rules import validate_statement
from reportguard.oversight.dsa_submit import SubmitError, submit_statements
from reportguard.pipeline import batch
from reportguard.policy import load_policy
from reportguard.store import audit
from reportguard.store.models import AuditEntry, DsaSubmission
from reportguard.triage.cases import queue

POLICY = load_policy()
TOKEN = "dsa-test-token"
PERIOD = ("2020-01-01", "2030-01-01")


@dataclass
class Stub:
    """The database's multiple-statements endpoint, its rules and its refusal of a held puid."""

    url: str = ""
    held: Counter[str] = field(default_factory=Counter)
    calls: int = 0
    refuse_with: list[int] = field(default_factory=list)  # statuses to answer first, in order
    kill_pid: int | None = None
    kill_on_call: int | None = None
    invalid: list[Any] = field(default_factory=list)

    def answer(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.calls += 1
        if self.refuse_with:
            return self.refuse_with.pop(0), {"message": "try later"}
        items = body.get("statements")
        if not isinstance(items, list) or not 1 <= len(items) <= 100:
            return 422, {"errors": {"statements": ["between 1 and 100"]}}
        errors = {
            f"statement_{i}": {f: [m] for f, m in problems}
            for i, s in enumerate(items)
            if (problems := validate_statement(s))
        }
        if errors:
            self.invalid.append(errors)
            return 422, {"errors": errors}
        puids = [s["puid"] for s in items]
        existing = [p for p in puids if self.held[p]]
        if existing or len(set(puids)) != len(puids):
            message = "The platform identifier(s) are not all unique within this call."
            errors = {"puid": [message], "existing_puids": existing}
            return 422, {"message": message, "errors": errors}
        self.held.update(puids)
        if self.calls == self.kill_on_call and self.kill_pid is not None:
            os.kill(self.kill_pid, signal.SIGKILL)  # accepted, but the sender never hears it
        return 201, {"statements": [{"puid": p} for p in puids]}


@pytest.fixture
def stub() -> Iterator[Stub]:
    state = Stub()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                code, body = 401, {"message": "Unauthenticated."}
            else:
                length = int(self.headers.get("Content-Length") or 0)
                code, body = state.answer(json.loads(self.rfile.read(length)))
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/api/v1/statements"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    thread.join(5)


REASONS = ("scam", "violence", "impersonation", "child_safety", "harassment")


def decided_platform(engine: Engine, tmp_path: Path, targets: int = 12) -> int:
    """``targets`` accounts reported and ruled violations; harassment (1 point) is a warning."""
    records = [
        report(n * 10 + k, target_id=f"t-{n}", reporter_id=f"u-{n}-{k}",
               reason=REASONS[n % len(REASONS)], created_at=f"2026-10-{1 + n:02d}T10:0{k}:00Z")
        for n in range(targets)
        for k in range(2)
    ]  # fmt: skip
    path = write_jsonl(tmp_path / "reports.jsonl", records)
    Importer(engine, IdentifierHasher(TEST_KEY.encode())).import_file(path)
    batch.triage(engine, policy=POLICY)
    for case in queue(engine, limit=100):
        claim(engine, case.id, "alice", policy=POLICY)
        decide(engine, case.id, "alice", outcome="violation", policy=POLICY,
               reason=f"Posts about {case.target_id} broke the rules.")  # fmt: skip
    return sum(1 for n in range(targets) if REASONS[n % len(REASONS)] != "harassment")


def period() -> dict[str, Any]:
    from datetime import UTC, datetime

    return {
        "start": datetime.fromisoformat(PERIOD[0]).replace(tzinfo=UTC),
        "end": datetime.fromisoformat(PERIOD[1]).replace(tzinfo=UTC),
    }


def test_every_statement_passes_the_database_rules(
    sqlite_engine: Engine, tmp_path: Path, stub: Stub
) -> None:
    expected = decided_platform(sqlite_engine, tmp_path)
    found = statements(sqlite_engine, policy=POLICY, **period())
    assert len(found.statements) == expected
    assert found.warnings == 12 - expected
    kinds = Counter(
        s.body.get("decision_account") or s.body.get("decision_provision") for s in found.statements
    )
    assert kinds["DECISION_ACCOUNT_TERMINATED"] >= 1  # child safety: zero tolerance, a ban
    assert kinds["DECISION_PROVISION_PARTIAL_SUSPENSION"] >= 1
    categories = {s.body["category"] for s in found.statements}
    assert "STATEMENT_CATEGORY_PROTECTION_OF_MINORS" in categories
    assert "STATEMENT_CATEGORY_SCAMS_AND_FRAUD" in categories
    for s in found.statements:
        assert validate_statement(s.body) == []
        assert s.body["source_type"] == "SOURCE_ARTICLE_16"
        assert "broke the rules" in s.body["incompatible_content_explanation"]
    sent = submit_statements(
        sqlite_engine, found.statements, endpoint=stub.url, token=TOKEN, sleep=lambda _s: None
    )
    assert (sent.created, stub.invalid) == (expected, [])
    assert set(stub.held) == {s.puid for s in found.statements}


def test_the_rules_refuse_what_the_database_refuses() -> None:
    good = {
        "decision_account": "DECISION_ACCOUNT_SUSPENDED",
        "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
        "incompatible_content_ground": "3.1 Harassment",
        "incompatible_content_explanation": "Repeated insults.",
        "content_type": ["CONTENT_TYPE_TEXT"],
        "category": "STATEMENT_CATEGORY_CYBER_VIOLENCE",
        "content_date": "2026-10-01",
        "application_date": "2026-10-02",
        "decision_facts": "Repeated insults after a warning.",
        "source_type": "SOURCE_ARTICLE_16",
        "automated_detection": "No",
        "automated_decision": "AUTOMATED_DECISION_NOT_AUTOMATED",
        "puid": "act-17",
    }
    assert validate_statement(good) == []
    broken = {
        "decision_account": None,  # no decision at all
        "puid": "act 17",
        "application_date": "2019-12-31",
        "content_type": ["CONTENT_TYPE_OTHER"],  # needs content_type_other
        "category": "STATEMENT_CATEGORY_SPAM",
        "illegal_content_legal_ground": "a law",  # only with the illegal-content ground
        "colour": "red",
    }
    fields = {f for f, _ in validate_statement({**good, **broken})}
    assert fields == {
        "decision_visibility", "puid", "application_date", "content_type_other", "category",
        "illegal_content_legal_ground", "colour",
    }  # fmt: skip


def test_submit_retries_with_backoff_and_records_each_batch(
    sqlite_engine: Engine, tmp_path: Path, stub: Stub
) -> None:
    expected = decided_platform(sqlite_engine, tmp_path)
    found = statements(sqlite_engine, policy=POLICY, **period()).statements
    stub.refuse_with = [503, 429]
    waits: list[float] = []
    sent = submit_statements(
        sqlite_engine, found, endpoint=stub.url, token=TOKEN, batch_size=4, backoff=0.5,
        sleep=waits.append,
    )  # fmt: skip
    assert waits == [0.5, 1.0]
    assert (sent.created, sent.retries) == (expected, 2)
    with sqlite_engine.connect() as conn:
        entries = (
            conn.execute(
                sa.select(AuditEntry.payload).where(AuditEntry.event == "dsa_statements_submitted")
            )
            .scalars()
            .all()
        )
        assert conn.scalar(sa.select(sa.func.count()).select_from(DsaSubmission)) == expected
    assert sorted(p for e in entries for p in e["puids"]) == sorted(s.puid for s in found)
    assert len(entries) == -(-expected // 4)
    assert audit.verify(sqlite_engine).ok
    again = submit_statements(sqlite_engine, found, endpoint=stub.url, token=TOKEN)
    assert (again.skipped, again.calls) == (expected, 0)
    stub.refuse_with = [503] * 3
    fresh = [
        s.__class__(s.action_id, s.puid + "-x", {**s.body, "puid": s.puid + "-x"}) for s in found
    ]
    with pytest.raises(SubmitError, match="run again to send the rest"):
        submit_statements(sqlite_engine, fresh, endpoint=stub.url, token=TOKEN, retries=2,
                          sleep=lambda _s: None)  # fmt: skip


def test_killed_half_way_and_run_again_each_statement_is_sent_once(
    tmp_path: Path, stub: Stub
) -> None:
    from reportguard.store.database import create_engine

    database = tmp_path / "rg.db"
    engine = create_engine(f"sqlite:///{database}")
    expected = decided_platform(engine, tmp_path, targets=15)
    engine.dispose()
    env = {**os.environ, "REPORTGUARD_SECRET_KEY": TEST_KEY, "REPORTGUARD_DSA_TOKEN": TOKEN}
    command = [
        sys.executable, "-m", "reportguard.cli", "--db", str(database), "export", "statements",
        "--from", PERIOD[0], "--to", PERIOD[1], "--out", str(tmp_path / "s.jsonl"),
        "--submit", stub.url, "--batch-size", "4",
    ]  # fmt: skip
    first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stub.kill_pid, stub.kill_on_call = first.pid, 2  # dies as the database takes batch 2
    first.communicate(timeout=120)
    assert first.returncode == -signal.SIGKILL
    assert sum(stub.held.values()) == 8  # two batches reached the database; one was recorded
    stub.kill_pid = None
    second = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert second.returncode == 0, second.stderr
    said = " ".join(second.stdout.split())
    assert "4 the database already held, 4 accepted in earlier runs" in said
    assert len(stub.held) == expected
    assert set(stub.held.values()) == {1}  # each statement exactly once
    engine = create_engine(f"sqlite:///{database}")
    with engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(DsaSubmission)) == expected
    engine.dispose()
