"""Group commit: small ingest requests that arrive together are stored in one transaction.

Every ingest transaction ends with a turn at the audit log, and appenders take turns (the chain
must not fork). With one transaction per request, a burst of single-report posts queues for that
turn, each waiting for its own round trips while the server's threads compete for the
interpreter; at 200 posts/s on two cores PostgreSQL could not keep up. Here request threads
validate their records and hand them to one writer thread, which stores whatever has queued up
meanwhile in one transaction (:func:`~reportguard.ingest.requests.store_requests`) and wakes
each request with its own answer. An idle server commits each request at once; a busy one
commits larger groups, so throughput grows with load instead of latency.

On SQLite the other writer is the live-detection worker. SQLite's own busy handler sleeps in
steps that grow to 100 ms and gives the lock to nobody in particular, so a waiting commit can
sleep through the short gaps between the worker's transactions. The committer's engine
therefore waits only a millisecond inside SQLite (:func:`writer_engine`) and retries the
rolled-back transaction itself every millisecond, up to ``lock_wait`` seconds.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from reportguard.ingest.importer import Importer
from reportguard.ingest.requests import PreparedRequest, RequestResult, store_requests
from reportguard.store.database import create_engine


def writer_engine(engine: Engine) -> Engine:
    """The engine the committer writes through: for an SQLite file, its own pool of connections
    that give up on a busy lock after a millisecond (the committer retries); else ``engine``."""
    database = engine.url.database or ""
    if engine.dialect.name != "sqlite" or database in ("", ":memory:"):
        return engine
    url = engine.url.render_as_string(hide_password=False)
    return create_engine(url, migrate=False, busy_timeout_ms=1)


def _locked(exc: OperationalError) -> bool:
    return "database is locked" in str(exc.orig)


@dataclass
class _Job:
    request: PreparedRequest
    done: threading.Event = field(default_factory=threading.Event)
    result: RequestResult | None = None
    error: BaseException | None = None

    @property
    def size(self) -> int:
        return len(self.request.reports) + len(self.request.accounts)


class GroupCommitter:
    """One writer thread that stores queued ingest requests in shared transactions."""

    def __init__(
        self, importer: Importer, *, max_records: int = 5000, lock_wait: float = 30.0
    ) -> None:
        self.importer = importer
        self.max_records = max_records
        self.lock_wait = lock_wait
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False

    def store(self, request: PreparedRequest) -> RequestResult:
        """Store one request's records (with whatever else is waiting); block until committed."""
        with self._lock:
            if self._closed:  # shutting down: no writer to wait for
                return self._store([request])[0]
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="reportguard-ingest-commit", daemon=True
                )
                self._thread.start()
            job = _Job(request)
            self._queue.put(job)
        job.done.wait()
        if job.error is not None:
            raise job.error
        assert job.result is not None
        return job.result

    def close(self, timeout: float = 30.0) -> None:
        """Commit what is queued, then stop the writer."""
        with self._lock:
            self._closed = True
            thread = self._thread
            self._queue.put(None)
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        waiting: _Job | None = None  # the job that did not fit in the last group
        while True:
            job = waiting if waiting is not None else self._queue.get()
            waiting = None
            if job is None:
                return
            group, size, stop = [job], job.size, False
            while size < self.max_records:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                if size + more.size > self.max_records:
                    waiting = more
                    break
                group.append(more)
                size += more.size
            self._commit(group)
            if stop:
                if waiting is not None:
                    self._commit([waiting])
                return

    def _store(self, requests: list[PreparedRequest]) -> list[RequestResult]:
        """One transaction for ``requests``, tried again while another writer holds the lock."""
        deadline = time.monotonic() + self.lock_wait
        while True:
            try:
                return store_requests(self.importer, requests)
            except OperationalError as exc:
                if not _locked(exc) or time.monotonic() >= deadline:
                    raise
                time.sleep(0.001)

    def _commit(self, group: list[_Job]) -> None:
        try:
            results = self._store([job.request for job in group])
            for job, result in zip(group, results, strict=True):
                job.result = result
        except Exception as exc:  # noqa: BLE001 (re-raised in the request's own thread)
            # A lock still held after lock_wait is the database's trouble, not one request's:
            # retrying each request alone would wait lock_wait again for every one of them.
            if len(group) == 1 or (isinstance(exc, OperationalError) and _locked(exc)):
                for job in group:
                    job.error = exc
            else:  # the transaction rolled back: one request's trouble must not fail the others
                for job in group:
                    try:
                        job.result = self._store([job.request])[0]
                    except Exception as alone:  # noqa: BLE001 (as above)
                        job.error = alone
        finally:
            for job in group:
                job.done.set()
