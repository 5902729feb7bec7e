"""Run a command in a child process and measure its wall time and its own peak memory."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path


def run_measured(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB) and standard output of a child process.

    The peak is the child's own VmHWM from /proc, polled while it runs: ru_maxrss of a child
    also counts the pages it shared with this process when it was forked, before exec.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak_kib = 0
    status = Path(f"/proc/{proc.pid}/status")
    while proc.poll() is None:
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak_kib = max(peak_kib, int(line.split()[1]))
        except (FileNotFoundError, ProcessLookupError):
            break
        time.sleep(0.05)
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[:4]} failed ({proc.returncode}): {err[-2000:]}")
    return time.perf_counter() - start, peak_kib / 1024, out


def _tree_rss_kib(root: int) -> int:
    """Resident memory of a process and all its descendants (a Spark driver and its JVM)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry.name))
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def run_measured_tree(
    cmd: list[str], env: dict[str, str] | None = None
) -> tuple[float, float, str]:
    """As :func:`run_measured`, but the peak is the sum over the whole process tree.

    Polled every 0.2 s, so a peak shorter than that can be missed: a lower bound.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak_kib = 0
    while proc.poll() is None:
        peak_kib = max(peak_kib, _tree_rss_kib(proc.pid))
        time.sleep(0.2)
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[:4]} failed ({proc.returncode}): {err[-2000:]}")
    return time.perf_counter() - start, peak_kib / 1024, out
