"""Benchmark: `reportguard ingest` of JSON Lines report exports into SQLite.

Writes seeded export files of the given sizes to benchmarks/data/, runs the real command line in a
child process for each, and prints records/s and the child's peak resident memory. Next to it:
the naive way, the same rows already parsed (no validation, no hashing) inserted with plain
sqlite3 executemany in 5,000-row transactions into the same indexes. "ratio" is ours / naive.

    python benchmarks/ingest_bench.py --sizes 100000 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from measure import run_measured

DATA = Path(__file__).with_name("data")
FLOOR_FIELDS = (
    "report_id",
    "reporter_id",
    "target_id",
    "content_id",
    "reason",
    "text",
    "created_at",
    "source",
    "ip",
    "device",
)


def make_export(path: Path, n: int, seed: int = 7) -> None:
    if path.exists():
        return
    rng = random.Random(seed)
    reasons = ["spam", "harassment", "hate_speech", "scam", "impersonation"]
    with path.open("w") as handle:
        for i in range(n):
            handle.write(
                json.dumps(
                    {
                        "report_id": f"b-{i}",
                        "reporter_id": f"u-{rng.randrange(200_000)}",
                        "target_id": f"u-{rng.randrange(50_000)}",
                        "content_id": f"c-{rng.randrange(500_000)}" if i % 3 else None,
                        "reason": reasons[i % 5],
                        "text": "keeps insulting me in the comments" if i % 4 else "",
                        "created_at": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}T"
                        f"{i % 24:02d}:{i % 60:02d}:{(i * 7) % 60:02d}Z",
                        "source": "in_app",
                        "ip": f"10.{i % 256}.{(i // 256) % 256}.{rng.randrange(256)}",
                        "device": f"dev-{rng.randrange(100_000):06x}",
                    }
                )
                + "\n"
            )


def run_cli(path: Path, db: Path | str, n: int) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one `reportguard ingest` child process, which must
    have stored every report (a rejected or lost one would make the figure a lie)."""
    env = {**os.environ, "REPORTGUARD_SECRET_KEY": "benchmark-key-0123456789abcdef"}
    cmd = [sys.executable, "-m", "reportguard.cli", "--db", str(db), "ingest", "--json", str(path)]
    seconds, peak, out = run_measured(cmd, env)
    summary = json.loads(out)["total"]
    if summary["accepted"] != n:
        raise SystemExit(f"{path}: {n:,} reports, but the import says {summary}")
    return seconds, peak


def fresh_postgres(url: str, name: str = "reportguard_ingest_bench") -> str:
    """An empty database on the given server; returns its URL."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.rsplit("/", 1)[0] + "/" + name


def floor_sqlite(path: Path, db: Path) -> float:
    """Insert pre-parsed rows with plain sqlite3: the cost of the database alone."""
    rows = []
    with path.open() as handle:
        for line in handle:
            r = json.loads(line)
            rows.append(
                (
                    r["report_id"],
                    r["reporter_id"],
                    r["target_id"],
                    r["content_id"],
                    r["reason"],
                    r["text"],
                    r["created_at"],
                    r["source"],
                    r["ip"],
                    r["device"],
                )
            )
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        "CREATE TABLE reports (id INTEGER PRIMARY KEY, report_id TEXT UNIQUE, reporter_id TEXT,"
        " target_id TEXT, content_id TEXT, reason TEXT, text TEXT, created_at TEXT, source TEXT,"
        " ip_hash TEXT, device_hash TEXT)"
    )
    conn.execute("CREATE INDEX a ON reports(target_id, created_at)")
    conn.execute("CREATE INDEX b ON reports(reporter_id, created_at)")
    conn.execute("CREATE INDEX c ON reports(created_at)")
    conn.execute("CREATE INDEX d ON reports(ip_hash)")
    start = time.perf_counter()
    for i in range(0, len(rows), 5000):
        with conn:
            conn.executemany(
                "INSERT INTO reports (report_id, reporter_id, target_id, content_id, reason, text,"
                " created_at, source, ip_hash, device_hash) VALUES (?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT(report_id) DO NOTHING",
                rows[i : i + 5000],
            )
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="also import each file into a fresh database on this PostgreSQL server "
        "(postgresql://user@host:port/db; the database named in it is only used to connect)",
    )
    parser.add_argument("--floor", nargs=2, metavar=("EXPORT", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor:
        print(floor_sqlite(Path(args.floor[0]), Path(args.floor[1])))
        return
    DATA.mkdir(exist_ok=True)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(
        f"{'reports':>10} {'MB':>7} {'seconds':>8} {'reports/s':>10} {'peak MiB':>9} "
        f"{'floor s':>8} {'ratio':>6}"
    )
    for n in args.sizes:
        path = DATA / f"ingest-{n}.jsonl"
        make_export(path, n)
        with tempfile.TemporaryDirectory() as tmp:
            seconds, peak = run_cli(path, Path(tmp) / "rg.db", n)
            # The floor holds every row in memory: its own process, so ours stays small.
            cmd = [sys.executable, __file__, "--floor", str(path), str(Path(tmp) / "floor.db")]
            floor = float(run_measured(cmd)[2])
        size = path.stat().st_size / 1e6
        print(
            f"{n:>10,} {size:>7.0f} {seconds:>8.1f} {n / seconds:>10,.0f} {peak:>9.0f} "
            f"{floor:>8.1f} {seconds / floor:>6.1f}",
            flush=True,
        )
        if args.postgres:
            seconds, peak = run_cli(path, fresh_postgres(args.postgres), n)
            print(
                f"{'':>10} {'':>7} {seconds:>8.1f} {n / seconds:>10,.0f} {peak:>9.0f}  PostgreSQL",
                flush=True,
            )


if __name__ == "__main__":
    main()
