"""``reportguard demo``: the whole flow on a synthetic platform, scored against its ground truth.

Simulate a platform (report *records* with planted campaigns and organic waves, written to
files; nothing is sent anywhere), import them into a fresh SQLite database, detect campaigns,
build and score the queue, then compare with the truth: which planted campaigns were found, and
what the top of the queue holds next to a ranking by report count. The command line then creates
demo keys and serves the dashboard.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from reportguard.access.keys import create_key
from reportguard.config import Settings, database_url_from
from reportguard.detect.campaigns import Detection
from reportguard.evaluate.harness import DetectionResult, Truth, evaluate
from reportguard.evaluate.triage import rank_scores
from reportguard.ingest.hashing import IdentifierHasher
from reportguard.pipeline import batch, imports
from reportguard.pipeline.demo_history import History, play_history
from reportguard.simulate import preset as load_preset
from reportguard.simulate import simulate
from reportguard.store.database import create_engine
from reportguard.store.models import Case

# (step, done, total): the command line draws it as a progress bar.
Progress = Callable[[str, int, int | None], None]
DEMO_KEYS = (
    ("demo-moderator", "moderator"),
    ("demo-reviewer", "moderator"),
    ("demo-admin", "admin"),
)
TOP = 10


@dataclass
class DemoRun:
    """What the demo did and how it scored against the truth."""

    directory: Path
    database: Path
    reports: int = 0
    accounts: int = 0
    planted: int = 0
    planted_found: int = 0
    detected: int = 0
    members: dict[str, Any] = field(default_factory=dict)
    attack_reports: dict[str, Any] = field(default_factory=dict)
    viral: int = 0
    viral_called: int = 0
    # What campaigns list as targets, against the truth (each listed target is shielded).
    targets: dict[str, Any] = field(default_factory=dict)
    open_cases: int = 0
    open_by_queue: dict[str, int] = field(default_factory=dict)  # queue -> open cases
    queue_top: list[tuple[str, str]] = field(default_factory=list)
    count_top: list[tuple[str, str]] = field(default_factory=list)
    # Where each ranking puts the innocent accounts that a brigade targeted (1 = top).
    brigaded_ranks: dict[str, list[int]] = field(default_factory=dict)
    scores: dict[str, dict[str, Any]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    keys: list[tuple[str, str, str]] = field(default_factory=list)
    history: History | None = None  # what the demo moderators did afterwards
    open_after: int = 0  # open cases once the history is played


def fresh_database(directory: Path) -> Path:
    """The demo's own SQLite file, emptied: a re-run starts from nothing, never half a run."""
    directory.mkdir(parents=True, exist_ok=True)
    database = directory / "reportguard.db"
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    return database


def label(target: str, truth: Truth) -> str:
    """What the ground truth says of a target, in the words the summary prints."""
    if target in truth.violating:
        return "violating, organic wave" if target in truth.viral else "violating"
    if target in truth.brigaded:
        return "innocent, brigaded"
    return "no violation"


def run_demo(
    directory: Path,
    *,
    settings: Settings,
    preset: str = "small",
    seed: int | None = None,
    progress: Progress | None = None,
    history: bool = True,
) -> DemoRun:
    """Simulate, import, detect, triage and score, then (``history``) play a short labelled
    history of decisions and appeals; leaves the database ready to serve."""
    tell: Progress = progress or (lambda _step, _done, _total: None)
    run = DemoRun(directory=directory, database=fresh_database(directory))
    spec = load_preset(preset)
    if seed is not None:
        spec = spec.model_copy(update={"seed": seed})
    platform = directory / "platform"

    started = time.perf_counter()
    step = "simulating the platform (days)"
    tell(step, 0, spec.days)
    simulate(spec, platform, fmt="jsonl", progress=lambda d, t: tell(step, d, t))
    run.seconds["simulate"] = time.perf_counter() - started

    engine = create_engine(database_url_from(str(run.database)))
    try:
        detection = load_platform(engine, platform, settings=settings, run=run, progress=tell)
        truth = Truth(platform)
        _score(run, truth, detection, engine)
        if history:
            started = time.perf_counter()
            tell("playing a week of moderation", 0, None)
            run.history = play_history(engine, truth, policy=settings.policy())
            run.seconds["history"] = time.perf_counter() - started
            with Session(engine) as session:
                query = sa.select(sa.func.count()).select_from(Case).where(Case.status == "open")
                run.open_after = int(session.scalar(query) or 0)
        for name, role in DEMO_KEYS:
            principal, token = create_key(engine, name, role)
            run.keys.append((principal.name, principal.role, token))
    finally:
        engine.dispose()
    return run


def load_platform(
    engine: sa.Engine,
    platform: Path,
    *,
    settings: Settings,
    run: DemoRun,
    progress: Progress | None = None,
) -> Detection:
    """Import a simulated platform's files, detect campaigns and score the queue: the state a
    platform reaches after its first import (any database; the tests use PostgreSQL too)."""
    tell: Progress = progress or (lambda _step, _done, _total: None)
    started = time.perf_counter()
    names = [
        name
        for name in ("accounts.jsonl", "contents.jsonl", "reports.jsonl")
        if name != "contents.jsonl" or (platform / name).exists()
    ]

    def imported(path: Path, done: int, size: int) -> None:
        tell(f"importing {path.name}", done, size)

    for summary in imports.import_files(
        engine,
        [platform / name for name in names],
        hasher=IdentifierHasher(settings.hashing_key()),
        progress=imported,
    ):
        run.reports += summary.accepted
        run.accounts += summary.accounts
    run.seconds["ingest"] = time.perf_counter() - started

    started = time.perf_counter()
    tell("detecting campaigns", 0, None)
    detection = batch.detect(engine, policy=settings.policy())
    run.seconds["detect"] = time.perf_counter() - started

    started = time.perf_counter()
    tell("scoring the queue", 0, None)
    batch.triage(engine, policy=settings.policy())
    run.seconds["triage"] = time.perf_counter() - started
    return detection


def _score(run: DemoRun, truth: Truth, detection: Detection, engine: sa.Engine) -> None:
    result = DetectionResult.from_found(
        "reportguard", detection.seconds, detection.campaigns, detection.report_scores
    )
    scored = evaluate(truth, result)
    run.detected = len(detection.campaigns)
    run.planted = len(scored["campaigns"])
    run.planted_found = sum(1 for c in scored["campaigns"] if c["found"])
    run.members = scored["members"]
    run.attack_reports = scored["reports"]
    run.viral = scored["targets"]["viral"]
    run.viral_called = scored["targets"]["viral_called_campaign"]
    run.targets = scored["targets"]
    with Session(engine) as session:
        cases = session.execute(
            sa.select(Case.target_id, Case.priority, Case.n_reports, Case.queue).where(
                Case.status == "open"
            )
        ).all()
    run.open_cases = len(cases)
    run.open_by_queue = dict(Counter(q for *_, q in cases))
    by_priority = [t for t, *_ in sorted(cases, key=lambda c: (-c[1], c[0]))]
    by_count = [t for t, *_ in sorted(cases, key=lambda c: (-c[2], c[0]))]
    waves = {t for t, _, n, _ in cases if n >= 50} & truth.viral
    run.scores = {
        "reportguard": rank_scores(by_priority, truth, waves, ks=(10, 50)),
        "count": rank_scores(by_count, truth, waves, ks=(10, 50)),
    }
    innocent = truth.brigaded - truth.violating
    run.brigaded_ranks = {
        name: [i + 1 for i, t in enumerate(ranking) if t in innocent]
        for name, ranking in (("reportguard", by_priority), ("count", by_count))
    }
    run.queue_top = [(t, label(t, truth)) for t in by_priority[:TOP]]
    run.count_top = [(t, label(t, truth)) for t in by_count[:TOP]]
