"""Group commit of ingest requests: requests that queue up share a transaction, and each still
gets its own run, audit entry and answer; one request's failure does not fail the others."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from tests.helpers import account, report

from reportguard.api import committer as committer_module
from reportguard.api.committer import GroupCommitter, writer_engine
from reportguard.ingest.hashing import IdentifierHasher
from reportguard.ingest.importer import Importer
from reportguard.ingest.requests import (
    PreparedRequest,
    RequestResult,
    prepare_request,
    store_requests,
)
from reportguard.store import audit
from reportguard.store.database import create_engine
from reportguard.store.models import AuditEntry, IngestRun, Report


def _importer(engine: Engine) -> Importer:
    return Importer(engine, IdentifierHasher(b"k" * 32))


def _request(records: list[Any], who: str = "platform") -> PreparedRequest:
    return prepare_request(records, source=f"api:{who}", actor=f"api-key:{who}")


def _count(engine: Engine, model: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(model)).scalar_one())


def test_requests_stored_together_keep_their_own_runs_entries_and_answers(engine: Engine) -> None:
    requests = [
        _request([report(1), report(2)], "a"),
        _request([report(2), report(3), {"report_id": "bad"}], "b"),  # r-2 again: a duplicate
        _request([account("u-1")], "c"),
        _request([report(1)], "d"),  # stored by the first request of the group already
    ]
    with audit.via_key("key-b"):
        requests[1] = _request([report(2), report(3), {"report_id": "bad"}], "b")

    results = store_requests(_importer(engine), requests)

    assert [(r.summary.accepted, r.summary.duplicates) for r in results] == [
        (2, 0),
        (1, 1),
        (0, 0),
        (0, 1),
    ]
    assert [[e.report_id for e in r.new_reports] for r in results] == [
        ["r-1", "r-2"],
        ["r-3"],
        [],
        [],
    ]
    assert results[1].summary.rejected == 1
    assert results[1].rejections[0][0] == 2
    assert results[2].summary.accounts == 1
    assert len({r.run_id for r in results}) == 4
    assert _count(engine, Report) == 3
    with engine.connect() as conn:
        stored_by = dict(conn.execute(sa.select(Report.report_id, Report.ingest_run_id)).all())
        entries = conn.execute(
            sa.select(AuditEntry.subject_id, AuditEntry.payload).order_by(AuditEntry.seq)
        ).all()
        runs = {
            run_id: (accepted, duplicates)
            for run_id, accepted, duplicates in conn.execute(
                sa.select(IngestRun.id, IngestRun.accepted, IngestRun.duplicates)
            )
        }
    assert stored_by == {
        "r-1": results[0].run_id,
        "r-2": results[0].run_id,
        "r-3": results[1].run_id,
    }
    assert [int(subject) for subject, _ in entries] == [r.run_id for r in results]
    assert entries[1][1]["via_key"] == "key-b"
    assert "via_key" not in entries[0][1]
    assert [runs[r.run_id] for r in results] == [(2, 0), (1, 1), (0, 0), (0, 1)]
    assert audit.verify(engine).ok


def test_concurrent_requests_share_commits_and_lose_nothing(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    groups: list[int] = []
    writing_first = threading.Event()
    first_commit_may_finish = threading.Event()
    real = committer_module.store_requests

    def observed(importer: Importer, requests: list[PreparedRequest]) -> list[RequestResult]:
        groups.append(len(requests))
        if len(groups) == 1:  # hold the writer so that the other requests queue up behind it
            writing_first.set()
            assert first_commit_may_finish.wait(10)
        return real(importer, requests)

    monkeypatch.setattr(committer_module, "store_requests", observed)
    committer = GroupCommitter(_importer(engine))
    posts, clients = 40, 8
    with ThreadPoolExecutor(clients) as pool:
        answers = [pool.submit(committer.store, _request([report(0), report(0)]))]
        assert writing_first.wait(10)  # the writer holds exactly the first request
        answers += [
            pool.submit(committer.store, _request([report(i), report(i % 10)]))
            for i in range(1, posts)
        ]
        while committer._queue.qsize() < clients - 1:  # every other client is waiting
            threading.Event().wait(0.01)
        first_commit_may_finish.set()
        results = [a.result(timeout=30) for a in answers]
    committer.close()

    assert sum(groups) == posts
    assert max(groups) > 1
    assert sum(r.summary.accepted for r in results) == posts == _count(engine, Report)
    assert sum(r.summary.accepted + r.summary.duplicates for r in results) == 2 * posts
    assert _count(engine, IngestRun) == posts
    assert _count(engine, AuditEntry) == posts
    assert audit.verify(engine).ok


def test_a_failing_request_does_not_fail_the_others_of_its_group(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    holding_slow = threading.Event()
    release = threading.Event()
    real = committer_module.store_requests

    def refusing(importer: Importer, requests: list[PreparedRequest]) -> list[RequestResult]:
        if requests[0].source == "api:slow" and not release.is_set():
            holding_slow.set()
            assert release.wait(10)
        if any(r.source == "api:doomed" for r in requests):
            raise RuntimeError("the database refused the doomed request")
        return real(importer, requests)

    monkeypatch.setattr(committer_module, "store_requests", refusing)
    committer = GroupCommitter(_importer(engine))
    with ThreadPoolExecutor(4) as pool:
        slow = pool.submit(committer.store, _request([report(1)], "slow"))
        assert holding_slow.wait(10)  # the writer holds the slow request alone
        others = [
            pool.submit(committer.store, _request([report(n)], who))
            for n, who in ((2, "fine"), (3, "doomed"), (4, "also-fine"))
        ]
        while committer._queue.qsize() < 3:
            threading.Event().wait(0.01)
        release.set()
        assert slow.result(timeout=30).summary.accepted == 1
        fine, doomed, also_fine = others
        assert fine.result(timeout=30).summary.accepted == 1
        assert also_fine.result(timeout=30).summary.accepted == 1
        with pytest.raises(RuntimeError, match="doomed"):
            doomed.result(timeout=30)
    committer.close()
    with engine.connect() as conn:
        stored = set(conn.execute(sa.select(Report.report_id)).scalars())
    assert stored == {"r-1", "r-2", "r-4"}
    assert audit.verify(engine).ok


def test_after_close_requests_are_stored_directly(engine: Engine) -> None:
    committer = GroupCommitter(_importer(engine))
    assert committer.store(_request([report(1)])).summary.accepted == 1
    committer.close()
    assert committer.store(_request([report(2)])).summary.accepted == 1
    assert _count(engine, Report) == 2


def test_on_sqlite_a_commit_waits_for_another_writers_lock_then_lands(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    writer = writer_engine(engine)
    assert writer is not engine  # its own connections, which give up on a busy lock at once
    committer = GroupCommitter(_importer(writer))
    holder = sqlite3.connect(engine.url.database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer (the detection worker, say) holds the lock
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(committer.store, _request([report(1)]))
        threading.Event().wait(0.3)
        assert not waiting.done()  # still trying: neither failed nor stored
        holder.execute("COMMIT")
        assert waiting.result(timeout=30).summary.accepted == 1
    committer.close()
    holder.close()
    assert _count(engine, Report) == 1

    impatient = GroupCommitter(_importer(writer), lock_wait=0.05)
    holder = sqlite3.connect(engine.url.database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    with pytest.raises(OperationalError, match="database is locked"):
        impatient.store(_request([report(2)]))
    holder.execute("ROLLBACK")
    holder.close()
    impatient.close()
    assert _count(engine, Report) == 1
    writer.dispose()
    engine.dispose()


def test_a_group_that_waited_out_the_lock_fails_together_not_request_by_request(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    holding = threading.Event()
    release = threading.Event()
    sizes: list[int] = []
    real = committer_module.store_requests

    def locked(importer: Importer, requests: list[PreparedRequest]) -> list[RequestResult]:
        if requests[0].source == "api:first":
            holding.set()
            assert release.wait(10)
            return real(importer, requests)
        sizes.append(len(requests))
        raise OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(committer_module, "store_requests", locked)
    committer = GroupCommitter(_importer(engine), lock_wait=0.05)
    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(committer.store, _request([report(0)], "first"))
        assert holding.wait(10)
        queued = [pool.submit(committer.store, _request([report(n)], f"p{n}")) for n in (1, 2, 3)]
        while committer._queue.qsize() < 3:
            threading.Event().wait(0.01)
        release.set()
        assert first.result(timeout=30).summary.accepted == 1
        for answer in queued:
            with pytest.raises(OperationalError, match="database is locked"):
                answer.result(timeout=30)
    committer.close()
    assert sizes
    assert set(sizes) == {3}  # retried as the group until lock_wait, never request by request


def test_the_same_idempotency_key_twice_in_one_group_keeps_the_first_answer(
    engine: Engine,
) -> None:
    from reportguard.ingest.requests import KeptAnswer
    from reportguard.store.models import IdempotencyRecord

    def respond(result: RequestResult) -> tuple[int, dict[str, Any]]:
        return 200, {"run_id": result.run_id, "accepted": result.summary.accepted}

    requests = [_request([report(1)], "a"), _request([report(1)], "a"), _request([report(2)])]
    for request in requests[:2]:
        request.keep_answer = KeptAnswer("key-a", "batch-1", "fingerprint", respond)
    results = store_requests(_importer(engine), requests)
    assert [r.answer_kept for r in results] == [True, False, None]
    with engine.connect() as conn:
        kept = conn.execute(sa.select(IdempotencyRecord.response)).scalars().all()
    assert kept == [{"run_id": results[0].run_id, "accepted": 1}]
