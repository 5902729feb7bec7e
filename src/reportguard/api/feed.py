"""Live detection behind the API: stored reports flow into incremental detection on a thread.

A request stores its reports and returns; this thread takes what arrived since its last pass,
updates the :class:`~reportguard.detect.incremental.IncrementalDetector`, stores the campaigns
it flags or grows, and re-scores the open cases of the targets touched, so a brigade shows as a
shielded case within seconds while it is still going on. At start it reads the stored log once
(the detector needs the history to know each target's baseline); readiness says when that is done.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass, field

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from reportguard.detect.frame import ACCOUNT_COLUMNS, REPORT_COLUMNS, ReportFrame
from reportguard.detect.incremental import IncrementalDetector
from reportguard.detect.persist import store_campaigns
from reportguard.ingest.hashing import IdentifierHasher
from reportguard.ingest.records import AccountSnapshot, ReportEvent
from reportguard.policy import Policy
from reportguard.store.models import Campaign
from reportguard.triage.cases import refresh_cases

log = logging.getLogger("reportguard.api.feed")


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


@dataclass
class _Item:
    reports: list[ReportEvent]
    accounts: list[AccountSnapshot]
    early: bool
    settle: bool = False


@dataclass
class DetectionFeed:
    """Owns the detector; one thread, so the detector is never touched concurrently."""

    engine: Engine
    policy: Policy
    hasher: IdentifierHasher
    settle_after: float = 60.0  # seconds of quiet after new reports before a full settle
    status: FeedStatus = field(default_factory=FeedStatus)

    def __post_init__(self) -> None:
        self._queue: queue.Queue[_Item | None] = queue.Queue()
        self._seeded: set[str] = set()  # report ids read at start, while requests came in
        self._thread = threading.Thread(target=self._run, name="reportguard-feed", daemon=True)
        self._idle = threading.Event()
        self._idle.set()
        self.detector = IncrementalDetector()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=30)

    def submit(self, reports: list[ReportEvent], accounts: list[AccountSnapshot]) -> None:
        if reports or accounts:
            self._idle.clear()
            self._queue.put(_Item(reports, accounts, early=not self.status.ready))

    def settle(self) -> None:
        """Ask for a full pass now: refit on everything and judge every candidate (as batch)."""
        self._idle.clear()
        self._queue.put(_Item([], [], early=False, settle=True))

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until everything submitted so far has been detected and triaged (for tests)."""
        return self._idle.wait(timeout)

    # -- the thread ------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._seed()
            self.status.ready = True
        except Exception as exc:
            log.exception("live detection could not read the stored reports")
            self.status.error = f"could not read the stored reports: {exc}"
            return
        unsettled = False
        while True:
            try:
                item = self._queue.get(timeout=self.settle_after if unsettled else None)
            except queue.Empty:  # quiet for a while after new reports: settle as batch would
                item = _Item([], [], early=False, settle=True)
            if item is None:
                return
            reports, accounts, early = item.reports, item.accounts, item.early
            settle = item.settle
            stop = False
            while True:  # take everything waiting: one detection pass for all of it
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                reports, accounts = reports + more.reports, accounts + more.accounts
                early, settle = early or more.early, settle or more.settle
            if early:  # stored before the start-up read finished: it may have read them already
                reports = [r for r in reports if r.report_id not in self._seeded]
            elif self._seeded:
                self._seeded = set()
            try:
                self._pass(reports, accounts, settle=settle)
                self.status.error = None
                unsettled = not settle and (unsettled or bool(reports))
            except Exception as exc:
                log.exception("live detection pass failed")
                self.status.error = f"a detection pass failed: {exc}"
            if self._queue.empty():
                self._idle.set()
            if stop:
                return

    def _seed(self) -> None:
        frame = ReportFrame.from_database(self.engine)
        self._seeded = set(frame.reports["report_id"].to_list())
        self.detector.add_accounts(frame.accounts)
        if len(frame):
            self.detector.update(frame.reports)
            self.detector.settle()
        self.status.reports_seen = len(frame)

    def _pass(
        self, reports: list[ReportEvent], accounts: list[AccountSnapshot], *, settle: bool = False
    ) -> None:
        started = time.perf_counter()
        if accounts:
            self.detector.add_accounts(self._accounts_frame(accounts))
        before = {c.key: c for c in self.detector.campaigns_}
        flagged = self.detector.update(self._reports_frame(reports)) if reports else []
        if settle and self.detector.total_:
            self.detector.settle()
            self.status.settled_at = time.time()
        after = {c.key: c for c in self.detector.campaigns_}
        changed = [c for key, c in after.items() if before.get(key) is not c]
        gone = [key for key in before if key not in after]
        if changed:
            store_campaigns(self.engine, changed)
        if gone:
            self._drop_superseded(gone)
        targets = {r.target_id for r in reports}
        for campaign in changed:
            targets.update(campaign.targets)
        if targets:
            refresh_cases(self.engine, policy=self.policy, target_ids=sorted(targets))
        self.status.reports_seen += len(reports)
        self.status.batches += 1
        self.status.campaigns_flagged += len(flagged)
        self.status.last_pass_s = round(time.perf_counter() - started, 3)
        self.status.lag = self._queue.qsize()

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

    def _reports_frame(self, reports: list[ReportEvent]) -> pl.DataFrame:
        hasher = self.hasher
        rows = [
            (
                r.report_id,
                r.reporter_id,
                r.target_id,
                r.content_id,
                r.reason,
                r.text,
                int(r.created_at.timestamp()),
                r.referrer,
                hasher.normalised_ip(r.ip) if r.ip else None,
                hasher.device(r.device) if r.device else None,
            )
            for r in reports
        ]
        return pl.DataFrame(rows, schema=REPORT_COLUMNS, orient="row")

    @staticmethod
    def _accounts_frame(accounts: list[AccountSnapshot]) -> pl.DataFrame:
        rows = [
            (a.account_id, int(a.created_at.timestamp()), a.followers, a.posts, a.handle)
            for a in accounts
        ]
        return pl.DataFrame(rows, schema=ACCOUNT_COLUMNS, orient="row")
