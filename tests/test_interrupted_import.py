"""Kill an import half way; the re-run ends with exactly the records of the file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from tests.helpers import report, write_jsonl

from reportguard.store.database import create_engine

N = 120_000


def _stored(url: str) -> tuple[int, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            total, distinct = conn.execute(
                sa.text("SELECT count(*), count(DISTINCT report_id) FROM reports")
            ).one()
    finally:
        engine.dispose()
    return int(total), int(distinct)


@pytest.mark.slow
def test_killed_import_rerun_stores_each_report_exactly_once(db_url: str, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "big.jsonl", (report(n) for n in range(N)))
    command = [
        sys.executable,
        "-m",
        "reportguard.cli",
        "--db",
        db_url,
        "ingest",
        "--batch-size",
        "500",
        str(path),
    ]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    create_engine(db_url).dispose()  # schema exists before we start polling it

    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and _stored(db_url)[0] < N // 10:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial, _ = _stored(db_url)
    assert 0 < partial < N, (
        "the import must have been cut off part way for this test to mean anything"
    )

    rerun = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert rerun.returncode == 0, rerun.stderr
    assert _stored(db_url) == (N, N)
