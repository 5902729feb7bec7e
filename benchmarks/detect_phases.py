"""Benchmark: where batch detection spends its time and memory, phase by phase.

    python benchmarks/detect_phases.py --preset large
    python benchmarks/detect_phases.py --preset medium

Reads the preset's simulated log (simulated once into benchmarks/data/), runs the in-process
engine as ``reportguard detect --reports --json`` does (read, fit, score, every report's score,
the JSON file) and prints one row per phase: its seconds, its share of the whole, the largest
resident memory seen *during* the phase (sampled every 10 ms from /proc on Linux), and the
process's peak so far (ru_maxrss), so the phase that sets the peak shows, and how much each
phase holds above what it was given. The fit and score phases come from ``Detection.phases``
(``reportguard.detect.campaigns.PhaseClock``), whose laps this script also samples.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def _peak_mib() -> int:
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)


class _Resident:
    """The process's resident memory, sampled in a thread: the largest since the last lap."""

    def __init__(self) -> None:
        self.statm = Path("/proc/self/statm")
        self.page = os.sysconf("SC_PAGE_SIZE") if self.statm.exists() else 0
        self.top = self.now()
        self.lock = threading.Lock()  # a lap must not lose a sample taken across it
        threading.Thread(target=self._sample, daemon=True).start()

    def now(self) -> int:
        if not self.page:  # no /proc (not Linux): the peak so far is all there is
            return _peak_mib()
        return int(self.statm.read_text().split()[1]) * self.page // 2**20

    def _sample(self) -> None:
        while True:
            with self.lock:
                self.top = max(self.top, self.now())
            time.sleep(0.01)

    def lap(self) -> int:
        """The largest resident memory since the last lap, and start the next one."""
        with self.lock:
            now = self.now()
            top, self.top = max(self.top, now), now
        return top


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="medium")
    args = parser.parse_args()

    from rich.console import Console
    from rich.table import Table

    from reportguard.detect import campaigns
    from reportguard.detect.log import LogFiles, read_log
    from reportguard.detect.report_scores import score_reports
    from reportguard.detect.summary import write_detection_json
    from reportguard.simulate import preset, simulate

    data = HERE / "data" / f"{args.preset}-parquet"
    if not (data / "truth.json").exists():
        simulate(preset(args.preset), data, fmt="parquet")
    resident = _Resident()
    during: dict[str, int] = {}
    lap = campaigns.PhaseClock.lap

    def sampled(clock: campaigns.PhaseClock, name: str) -> None:
        lap(clock, name)
        during[name] = max(during.get(name, 0), resident.lap())

    campaigns.PhaseClock.lap = sampled  # type: ignore[method-assign,assignment]
    rows: list[tuple[str, float, int, int]] = []
    started = time.perf_counter()
    frame = read_log(LogFiles.resolve(data, None))
    rows.append(("read the log", time.perf_counter() - started, resident.lap(), _peak_mib()))
    detection = campaigns.CampaignDetector.default().run(frame)
    rows.extend(
        (name, seconds, during[name], peak) for name, (seconds, peak) in detection.phases.items()
    )
    mark = time.perf_counter()
    detection.report_scores = score_reports(frame, detection.campaigns, suspects=detection.suspects)
    rows.append(("every report's score", time.perf_counter() - mark, resident.lap(), _peak_mib()))
    mark = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        write_detection_json(detection, Path(folder) / "found.json")
    rows.append(("the JSON file", time.perf_counter() - mark, resident.lap(), _peak_mib()))
    total = time.perf_counter() - started

    table = Table(
        title=f"{args.preset}: {len(frame):,} reports, {len(detection.campaigns)} campaigns, "
        f"{total:.1f} s in all ({platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()})"
    )
    for column in ("phase", "seconds", "share", "MiB during", "peak MiB after"):
        table.add_column(column, justify="left" if column == "phase" else "right")
    for name, seconds, top, peak in rows:
        table.add_row(name, f"{seconds:.2f}", f"{seconds / total:.0%}", f"{top:,}", f"{peak:,}")
    Console(width=120).print(table)


if __name__ == "__main__":
    main()
