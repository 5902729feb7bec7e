"""The first step of the batch flow: import files, then read the outcomes they carried.

Apart from ``batch`` so that ``reportguard ingest`` starts without loading detection (about a
second of imports on a small machine, for every file a platform sends).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from sqlalchemy.engine import Engine

from reportguard.config import TimeBounds
from reportguard.ingest.formats.base import Adapter
from reportguard.ingest.hashing import IdentifierHasher
from reportguard.ingest.importer import Importer, IngestSummary
from reportguard.ingest.validate import Kind
from reportguard.policy import Policy
from reportguard.reporters.credibility import CredibilityModel
from reportguard.reporters.history import HistorySummary, read_history

# (path, bytes done, bytes in all): the command line draws it as a progress bar.
FileProgress = Callable[[Path, int, int], None]


def import_files(
    engine: Engine,
    paths: Iterable[Path],
    *,
    hasher: IdentifierHasher,
    progress: FileProgress | None = None,
    batch_size: int = 20_000,
    field_map: Mapping[str, str] | None = None,
    kind: Kind = "auto",
    bounds: TimeBounds | None = None,
    adapter: Adapter | None = None,
) -> list[IngestSummary]:
    """Import report exports, account snapshots and content records, one summary per file
    (idempotent); a platform's own export through its format's ``adapter``."""
    importer = Importer(
        engine,
        hasher,
        batch_size=batch_size,
        field_map=field_map,
        kind=kind,
        bounds=bounds,
        adapter=adapter,
    )
    summaries = []
    for path in paths:

        def step(done: int, size: int, path: Path = path) -> None:
            if progress is not None:
                progress(path, done, size)

        summaries.append(importer.import_file(path, progress=step))
    return summaries


def read_outcomes(engine: Engine, *, policy: Policy) -> HistorySummary:
    """Read imported outcomes (the platform's history) into reporters' credibility.

    Run after every import and before every triage pass; a no-op when nothing is pending.
    """
    return read_history(engine, model=CredibilityModel(policy.credibility))
