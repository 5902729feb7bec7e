"""Live detection behind the API: stored reports flow into incremental detection in a process of
its own.

A request stores its reports and returns; the worker takes what arrived since its last pass (at
most one pass a second),
updates the :class:`~reportguard.detect.incremental.IncrementalDetector`, stores the campaigns
it flags or grows, and re-scores the open cases of the targets touched, so a brigade shows as a
shielded case within seconds while it is still going on. At start it reads the stored log once
(the detector needs the history to know each target's baseline); readiness says when that is done.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import queue
import threading
import time
from dataclasses import dataclass, field

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from reportguard.config import Settings
from reportguard.detect.campaigns import FoundCampaign
from reportguard.detect.frame import ACCOUNT_COLUMNS, FRAME_COLUMNS, ReportFrame
from reportguard.detect.incremental import IncrementalDetector
from reportguard.detect.persist import store_campaigns
from reportguard.ingest.contract import AccountSnapshot, ReportEvent
from reportguard.ingest.hashing import IdentifierHasher
from reportguard.notices.compose import acknowledge_pending
from reportguard.pipeline.batch import without_servers
from reportguard.policy import Policy
from reportguard.store.models import Campaign
from reportguard.triage.cases import refresh_cases

log = logging.getLogger("reportguard.pipeline.live")
# After a pass on PostgreSQL, rest as long as it took: its queries run in the database server's
# processes at normal priority, not in this nice one, and back-to-back passes tripled the p99 of
# single posts (benchmarks/README.md). On SQLite they run here, resting freed nothing and
# doubled the catch-up time, so passes follow each other there.
REST = {"postgresql": 1.0}


@dataclass
class FeedStatus:
    ready: bool = False
    reports_seen: int = 0
    batches: int = 0
    campaigns_flagged: int = 0
    last_pass_s: float = 0.0
    error: str | None = None
    lag: int = 0
    settled_at: float | None = None


def _shape(campaign: FoundCampaign) -> tuple[object, ...]:
    """What a stored campaign row holds; a re-judged campaign with the same shape is not
    written again."""
    return (
        tuple(sorted(campaign.members)),
        tuple(sorted(campaign.targets)),
        len(campaign.report_ids),
        round(campaign.score, 4),
    )


@dataclass
class _Item:
    seq: int
    reports: list[tuple[object, ...]]  # rows in FRAME_COLUMNS order, identifiers hashed
    accounts: list[tuple[object, ...]]  # rows in ACCOUNT_COLUMNS order
    early: bool
    settle: bool = False
    # Reports detection does not read (a remote server's flags): (report_id, target_id), for
    # their cases only.
    cases_only: list[tuple[str, str]] = field(default_factory=list)


class DetectionFeed:
    """The API process's handle on live detection, which runs in a process of its own.

    Detection is CPU-bound Python and Polars work; in the API's process it would hold the GIL
    against the requests. The worker gets the stored reports (identifiers already hashed) through
    a queue and sends its status back; the database is where its results land.
    """

    def __init__(
        self,
        settings: Settings,
        hasher: IdentifierHasher,
        *,
        settle_after: float = 60.0,
        interval: float = 1.0,
    ) -> None:
        self.settings = settings
        self.hasher = hasher
        self.settle_after = settle_after
        self.interval = interval
        self.status = FeedStatus()
        context = multiprocessing.get_context("spawn")  # never fork a threaded server
        self._inbox: multiprocessing.Queue[_Item | None] = context.Queue()
        self._outbox: multiprocessing.Queue[tuple[int, dict[str, object]] | None] = context.Queue()
        self._process = context.Process(
            target=_work,
            args=(settings, self._inbox, self._outbox, settle_after, interval, os.getpid()),
            name="reportguard-detection",
            daemon=True,
        )
        self._listener = threading.Thread(target=self._listen, name="reportguard-feed-status")
        self._listener.daemon = True
        self._lock = threading.Condition()
        self._submitted = 0
        self._done = 0
        self._sent_at: dict[int, float] = {}  # seq -> when handed over, oldest first

    def start(self) -> None:
        # One Polars thread in the worker: detection is background work and must leave the
        # other core to the requests (the child reads this when it first imports Polars).
        previous = os.environ.get("POLARS_MAX_THREADS")
        os.environ["POLARS_MAX_THREADS"] = "1"
        try:
            self._process.start()
        finally:
            if previous is None:
                del os.environ["POLARS_MAX_THREADS"]
            else:
                os.environ["POLARS_MAX_THREADS"] = previous
        self._listener.start()

    def stop(self) -> None:
        self._inbox.put(None)
        self._process.join(timeout=30)
        if self._process.is_alive():
            self._process.terminate()
        self._outbox.put(None)
        self._listener.join(timeout=5)

    def submit(self, reports: list[ReportEvent], accounts: list[AccountSnapshot]) -> None:
        # A remote server's flags are cases' voices but no person's acts: detection skips them
        # (pipeline.batch.without_servers) and triage puts them into cases.
        servers = [(r.report_id, r.target_id) for r in reports if r.reporter_kind == "server"]
        people = [r for r in reports if r.reporter_kind != "server"]
        if reports or accounts:
            self._send(
                _Item(
                    0,
                    [self._report_row(r) for r in people],
                    [_account_row(a) for a in accounts],
                    early=not self.status.ready,
                    cases_only=servers,
                )
            )

    def settle(self) -> None:
        """Ask for a full pass now: refit on everything and judge every candidate (as batch)."""
        self._send(_Item(0, [], [], early=False, settle=True))

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until everything submitted so far has been detected and triaged (for tests)."""
        with self._lock:
            target = self._submitted
            return self._lock.wait_for(
                lambda: self._done >= target and self.status.ready, timeout=timeout
            )

    def lag_seconds(self) -> float:
        """How long the oldest batch handed to the worker and not yet through it has waited."""
        with self._lock:
            oldest = next(iter(self._sent_at.values()), None)
        return 0.0 if oldest is None else max(time.monotonic() - oldest, 0.0)

    def _send(self, item: _Item) -> None:
        with self._lock:
            self._submitted += 1
            item.seq = self._submitted
            self._sent_at[item.seq] = time.monotonic()
        self._inbox.put(item)

    def _listen(self) -> None:
        while (message := self._outbox.get()) is not None:
            done, fields = message
            with self._lock:
                for name, value in fields.items():
                    setattr(self.status, name, value)
                self.status.lag = self._submitted - done
                self._done = max(self._done, done)
                for seq in [s for s in self._sent_at if s <= self._done]:
                    del self._sent_at[seq]
                self._lock.notify_all()

    def _report_row(self, r: ReportEvent) -> tuple[object, ...]:
        return (
            r.report_id,
            r.reporter_id,
            r.target_id,
            r.content_id,
            r.reason,
            r.text,
            int(r.created_at.timestamp()),
            r.referrer,
            self.hasher.normalised_ip(r.ip) if r.ip else None,
            self.hasher.device(r.device) if r.device else None,
            r.surface,
        )


def _account_row(a: AccountSnapshot) -> tuple[object, ...]:
    return (a.account_id, int(a.created_at.timestamp()), a.followers, a.posts, a.handle)


def _work(  # noqa: PLR0917 - passed on positionally by multiprocessing
    settings: Settings,
    inbox: multiprocessing.Queue[_Item | None],
    outbox: multiprocessing.Queue[tuple[int, dict[str, object]] | None],
    settle_after: float,
    interval: float,
    parent: int,
) -> None:
    """The detection process: its own engine, detector and loop, at a lower CPU priority."""
    from reportguard.store.database import create_engine

    with contextlib.suppress(OSError):
        os.nice(10)
    threading.Thread(
        target=_die_with, args=(parent,), name="reportguard-parent", daemon=True
    ).start()

    engine = create_engine(settings.resolved_database_url(), migrate=False)
    worker = _Worker(
        engine=engine,
        policy=settings.policy(),
        inbox=inbox,
        outbox=outbox,
        settle_after=settle_after,
        interval=interval,
    )
    try:
        worker.run()
    finally:
        engine.dispose()


def _die_with(parent: int, every: float = 0.5) -> None:
    """End this process once the server that started it is gone.

    A server killed with SIGKILL cannot stop its worker, which would hold its memory and its
    database connection until someone noticed. When the parent dies the worker is handed to
    another process, so a changed parent id is the sign; ``os._exit`` lets the kernel close the
    connection (nothing is half-written: each pass commits or rolls back as a whole).
    """
    while os.getppid() == parent:
        time.sleep(every)
    log.warning("the server (pid %s) is gone; live detection stops", parent)
    os._exit(0)


class _Worker:
    """Owns the detector; one loop, so the detector is never touched concurrently."""

    def __init__(
        self,
        *,
        engine: Engine,
        policy: Policy,
        inbox: multiprocessing.Queue[_Item | None],
        outbox: multiprocessing.Queue[tuple[int, dict[str, object]] | None],
        settle_after: float,
        interval: float,
    ) -> None:
        self.engine = engine
        self.policy = policy
        self.inbox = inbox
        self.outbox = outbox
        self.settle_after = settle_after
        self.interval = interval
        self.status = FeedStatus()
        self.detector = IncrementalDetector()
        self.rest = REST.get(engine.dialect.name, 0.0)
        self._seeded: set[str] = set()  # report ids read at start, while requests came in
        self._receipts_after = 0  # receipts written for API reports up to this row id
        self._done = 0

    def report(self) -> None:
        self.outbox.put((self._done, dict(vars(self.status))))

    def run(self) -> None:
        try:
            self._seed()
            self.status.ready = True
        except Exception as exc:
            log.exception("live detection could not read the stored reports")
            self.status.error = f"could not read the stored reports: {exc}"
            self.report()
            return
        self.report()
        unsettled = False
        next_pass = 0.0
        while True:
            try:
                item = self.inbox.get(timeout=self.settle_after if unsettled else None)
            except queue.Empty:  # quiet for a while after new reports: settle as batch would
                item = _Item(self._done, [], [], early=False, settle=True)
            if item is None:
                return
            time.sleep(max(0.0, next_pass - time.monotonic()))
            started = time.monotonic()
            items, stop = [item], False
            while True:  # take everything waiting: one detection pass for all of it
                try:
                    more = self.inbox.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                items.append(more)
            early = any(i.early for i in items)
            settle = any(i.settle for i in items)
            reports = pl.DataFrame(
                [row for i in items for row in i.reports], schema=FRAME_COLUMNS, orient="row"
            )
            accounts = pl.DataFrame(
                [row for i in items for row in i.accounts], schema=ACCOUNT_COLUMNS, orient="row"
            )
            if early:  # stored before the start-up read finished: it may have read them already
                reports = reports.filter(~pl.col("report_id").is_in(sorted(self._seeded)))
            elif self._seeded:
                self._seeded = set()
            cases_only = [pair for i in items for pair in i.cases_only]
            try:
                self._pass(reports, accounts, settle=settle, cases_only=cases_only)
                self.status.error = None
                unsettled = not settle and (unsettled or not reports.is_empty())
            except Exception as exc:
                log.exception("live detection pass failed")
                self.status.error = f"a detection pass failed: {exc}"
            self._done = max(i.seq for i in items)
            self.report()
            if stop:
                return
            # At most one pass per interval and, on PostgreSQL, a rest as long as the pass:
            # under load the passes grow (cheaper per report) instead of running back to back.
            ended = time.monotonic()
            next_pass = max(started + self.interval, ended + (ended - started) * self.rest)

    def _seed(self) -> None:
        frame = without_servers(self.engine, ReportFrame.from_database(self.engine))
        self._seeded = set(frame.reports["report_id"].to_list())
        self.detector.add_accounts(frame.accounts)
        if len(frame):
            self.detector.update(frame.reports)
            self.detector.settle()
            store_campaigns(self.engine, self.detector.campaigns_, policy=self.policy)
        # Reports stored while the server was down (or before the read) get their cases now.
        refresh_cases(self.engine, policy=self.policy)
        _, self._receipts_after = acknowledge_pending(self.engine, self.policy)
        self.status.reports_seen = len(frame)

    def _pass(
        self,
        reports: pl.DataFrame,
        accounts: pl.DataFrame,
        *,
        settle: bool = False,
        cases_only: list[tuple[str, str]] | None = None,
    ) -> None:
        started = time.perf_counter()
        if not accounts.is_empty():
            self.detector.add_accounts(accounts)
        before = {c.key: c for c in self.detector.campaigns_}
        flagged = self.detector.update(reports) if not reports.is_empty() else []
        if settle and self.detector.total_:
            self.detector.settle()
            self.status.settled_at = time.time()
        after = {c.key: c for c in self.detector.campaigns_}
        changed = [
            c for key, c in after.items() if key not in before or _shape(before[key]) != _shape(c)
        ]
        gone = [key for key in before if key not in after]
        if changed:
            store_campaigns(self.engine, changed, policy=self.policy)
        if gone:
            self._drop_superseded(gone)
        targets = set(reports["target_id"].to_list())
        targets.update(target for _, target in cases_only or [])
        for campaign in changed:
            targets.update(campaign.targets)
        if targets:
            fresh = reports["report_id"].to_list() + [rid for rid, _ in cases_only or []]
            refresh_cases(
                self.engine,
                policy=self.policy,
                target_ids=sorted(targets),
                report_ids=None if settle else fresh,
            )
        if not reports.is_empty() or cases_only:
            _, self._receipts_after = acknowledge_pending(
                self.engine, self.policy, after_id=self._receipts_after
            )
        self.status.reports_seen += len(reports)
        self.status.batches += 1
        self.status.campaigns_flagged += len(flagged)
        self.status.last_pass_s = round(time.perf_counter() - started, 3)

    def _drop_superseded(self, keys: list[str]) -> None:
        """A campaign that grew into a larger one lives on under the new key; drop the old row
        unless a moderator already ruled on it."""
        with Session(self.engine) as session, session.begin():
            for row in session.scalars(
                sa.select(Campaign).where(
                    Campaign.campaign_key.in_(keys), Campaign.status == "active"
                )
            ):
                session.delete(row)
