"""Benchmark: the per-report stream score (MIDAS-R) on any labelled edge stream.

    python benchmarks/edge_stream.py /tmp/darpa.zip
    python benchmarks/edge_stream.py --heavy-repeat 5000000

Any ``src,dst,time,label`` CSV (or a .zip holding one) is a benchmark: time as the DARPA 1998
trace writes it (``MM/DD/YYYY-HH:MM``, days past the month's end such as ``07/32/1998`` counted
on from its first), as integers (epoch seconds or tick numbers: say which with
``--tick-seconds``) or as ISO datetimes; a label of ``-``, ``0``, ``normal`` or ``benign`` is
normal, anything else an attack. Prints ROC-AUC and average precision of the score, the time to
score and the process's peak memory (ru_maxrss). ``--heavy-repeat N`` instead generates N edges
where one reporter hits one target over and over, with a planted burst, to measure the cost.
The data file is never part of the repository: the stream's path is an argument.
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import resource
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reportguard.detect.campaigns import CampaignDetector
from reportguard.detect.frame import ACCOUNT_COLUMNS, REPORT_COLUMNS, ReportFrame
from reportguard.detect.report_scores import score_reports
from reportguard.detect.stream_score import KINDS, StreamScorer, chi2_surprise
from reportguard.evaluate.metrics import average_precision, roc_auc

NORMAL_LABELS = ("-", "0", "normal", "benign", "false", "")
DARPA_TIME = r"^\d{2}/\d{2}/\d{4}-\d{2}:\d{2}$"


@dataclass
class EdgeStream:
    """A time-ordered labelled edge stream: integer node codes, integer times, 0/1 labels."""

    src: npt.NDArray[np.int64]
    dst: npt.NDArray[np.int64]
    time: npt.NDArray[np.int64]
    label: npt.NDArray[np.int8]
    #: ``darpa`` or ``iso`` (times are epoch seconds) or ``integer`` (as written in the file).
    time_kind: str

    def __len__(self) -> int:
        return len(self.time)

    def default_tick_seconds(self) -> int:
        """A minute for calendar times (the DARPA trace's resolution), 1 for integer ticks."""
        return 1 if self.time_kind == "integer" else 60

    def as_reports(self) -> pl.DataFrame:
        """The stream as ReportGuard reports: src the reporter, dst the target, string ids."""
        return pl.DataFrame(
            {
                "reporter_id": pl.Series(self.src).cast(pl.Utf8),
                "target_id": pl.Series(self.dst).cast(pl.Utf8),
                "t": self.time,
            }
        )


def _read_csv(path: Path) -> pl.DataFrame:
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            name = next(n for n in archive.namelist() if n.endswith(".csv"))
            data = io.BytesIO(archive.read(name))
    else:
        data = io.BytesIO(path.read_bytes())
    first = data.readline().decode().lower()
    data.seek(0)
    header = "src" in first and "dst" in first
    frame = pl.read_csv(data, has_header=header, infer_schema_length=10_000)
    if frame.width < 4:
        raise SystemExit(f"{path}: expected src,dst,time,label columns, found {frame.width}")
    return frame.select(frame.columns[:4]).rename(
        dict(zip(frame.columns[:4], ["src", "dst", "time", "label"], strict=True))
    )


def _times(column: pl.Series) -> tuple[pl.Series, str]:
    """Integer times from a time column, and which kind they were."""
    if column.dtype.is_integer() or column.dtype.is_float():
        return column.cast(pl.Int64), "integer"
    text = column.cast(pl.Utf8)
    if bool(text.head(1000).str.contains(DARPA_TIME).all()):
        parts = pl.DataFrame({"x": text}).select(
            month=pl.col("x").str.slice(0, 2).cast(pl.Int32),
            day=pl.col("x").str.slice(3, 2).cast(pl.Int64),
            year=pl.col("x").str.slice(6, 4).cast(pl.Int32),
            hour=pl.col("x").str.slice(11, 2).cast(pl.Int64),
            minute=pl.col("x").str.slice(14, 2).cast(pl.Int64),
        )
        # 07/32/1998 is the day after 07/31: days since the epoch of the month's first, plus.
        seconds = parts.select(
            (
                (pl.date(pl.col("year"), pl.col("month"), 1).cast(pl.Int64) + pl.col("day") - 1)
                * 86_400
                + pl.col("hour") * 3600
                + pl.col("minute") * 60
            ).alias("t")
        )["t"]
        return seconds, "darpa"
    parsed = text.str.to_datetime(time_zone="UTC")
    return (parsed.dt.epoch("s")).cast(pl.Int64), "iso"


def load_edge_stream(path: Path) -> EdgeStream:
    """Read a labelled edge stream, sorted by time (stably: the file's order within a time)."""
    frame = _read_csv(path)
    times, kind = _times(frame["time"])
    label = ~frame["label"].cast(pl.Utf8).str.strip_chars().str.to_lowercase().is_in(NORMAL_LABELS)
    src, dst = frame["src"], frame["dst"]
    if not (src.dtype.is_integer() and dst.dtype.is_integer()):
        both = pl.concat([src.cast(pl.Utf8), dst.cast(pl.Utf8)]).cast(pl.Categorical).to_physical()
        src, dst = both.head(len(frame)), both.tail(len(frame))
    out = pl.DataFrame(
        {"src": src.cast(pl.Int64), "dst": dst.cast(pl.Int64), "t": times, "label": label}
    ).sort("t", maintain_order=True)
    return EdgeStream(
        src=out["src"].to_numpy(),
        dst=out["dst"].to_numpy(),
        time=out["t"].to_numpy(),
        label=out["label"].cast(pl.Int8).to_numpy(),
        time_kind=kind,
    )


def heavy_repeat(
    n: int, *, span_seconds: int = 30 * 86_400, repeat_share: float = 0.9, seed: int = 0
) -> EdgeStream:
    """One reporter hitting one target over and over (network-trace style), plus background
    reports and one planted burst of 1,000 reports by 50 accounts on one target in one minute.

    Only the burst is labelled: the question is whether it stands out over the repeater.
    """
    rng = np.random.default_rng(seed)
    burst = min(1000, n // 10)
    rest = n - burst
    repeats = int(rest * repeat_share)
    src = np.concatenate(
        [
            np.zeros(repeats, np.int64),
            rng.integers(10, 10_010, rest - repeats),
            20_000 + rng.integers(0, 50, burst),
        ]
    )
    dst = np.concatenate(
        [
            np.ones(repeats, np.int64),
            rng.integers(30_000, 40_000, rest - repeats),
            np.full(burst, 50_000),
        ]
    )
    when = rng.integers(0, span_seconds, rest)
    start = span_seconds * 3 // 4 // 60 * 60
    time_ = np.concatenate([when, start + rng.integers(0, 60, burst)]).astype(np.int64)
    label = np.concatenate([np.zeros(rest, np.int8), np.ones(burst, np.int8)])
    order = np.argsort(time_, kind="stable")
    return EdgeStream(src[order], dst[order], time_[order], label[order], "iso")


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(
    stream: EdgeStream, scorer: StreamScorer, *, as_reports: bool, parts: bool
) -> dict[str, object]:
    """Score the stream once and measure it."""
    tick_seconds = scorer.tick_seconds
    row: dict[str, object] = {"scorer": repr(scorer)}
    started = time.perf_counter()
    if as_reports:
        reports = stream.as_reports()
        prepared = time.perf_counter()
        scores = scorer.score_reports(reports).to_numpy()
        row["path"] = "score_reports (string ids, epoch seconds)"
    elif parts:
        prepared = started
        found = scorer.explain_stream(stream.src, stream.dst, stream.time // tick_seconds)
        scores = found.score
        for i, kind in enumerate(KINDS):
            row[f"auc_{kind}_only"] = round(roc_auc(found.parts[:, i], stream.label), 4)
        row["path"] = "explain_stream (arrays)"
    else:
        prepared = started
        scores = scorer.score_stream(stream.src, stream.dst, stream.time // tick_seconds)
        row["path"] = "score_stream (arrays)"
    done = time.perf_counter()
    row.update(
        edges=len(stream),
        ticks=int(scorer.clock_),
        roc_auc=round(roc_auc(scores, stream.label), 4),
        average_precision=round(average_precision(scores, stream.label), 4),
        prepare_seconds=round(prepared - started, 2),
        score_seconds=round(done - prepared, 2),
        edges_per_second=round(len(stream) / max(done - prepared, 1e-9)),
        state_bytes=scorer.state_nbytes,
        peak_mib=round(peak_mib()),
    )
    return row


def detect_stream(stream: EdgeStream, scorer: StreamScorer) -> dict[str, object]:
    """The whole detector on the stream as reports (src reports dst), MIDAS-R beside it.

    Each edge is a report with reason ``other`` and no text, address or accounts: only who,
    whom and when, which is all a network trace has. The same run scores the stream with
    MIDAS-R alone, so the two AUCs come from one process on one machine.
    """
    seconds = stream.time  # epoch seconds (integer streams: their own units, taken as seconds)
    n = len(stream)
    reports = pl.DataFrame(
        {
            "report_id": pl.int_range(0, n, eager=True).cast(pl.Utf8),
            "reporter_id": pl.Series(stream.src).cast(pl.Utf8),
            "target_id": pl.Series(stream.dst).cast(pl.Utf8),
            "reason": pl.repeat("other", n, eager=True),
            "t": pl.Series(seconds, dtype=pl.Int64),
        }
    )
    for column, dtype in REPORT_COLUMNS.items():
        if column not in reports.columns:
            reports = reports.with_columns(pl.lit(None, dtype=dtype).alias(column))
    frame = ReportFrame(
        reports=reports.select(list(REPORT_COLUMNS)), accounts=pl.DataFrame(schema=ACCOUNT_COLUMNS)
    )
    started = time.perf_counter()
    detection = CampaignDetector.default().run(frame)
    detect_seconds = time.perf_counter() - started
    started = time.perf_counter()
    scores = score_reports(frame, detection.campaigns, scorer=scorer)
    score_seconds = time.perf_counter() - started
    ordered = scores.with_columns(pl.col("report_id").cast(pl.Int64)).sort("report_id")
    largest = max((len(c.report_ids) for c in detection.campaigns), default=0)
    ticks = stream.time // scorer.tick_seconds
    midas = chi2_surprise(scorer.clone().score_stream(stream.src, stream.dst, ticks))
    return {
        "edges": n,
        "campaigns": len(detection.campaigns),
        "largest_campaign_share": round(largest / n, 4),
        "reports_in_campaigns": int(ordered["campaign"].is_not_null().sum()),
        "reportguard_roc_auc": round(roc_auc(ordered["score"].to_numpy(), stream.label), 4),
        "reportguard_ap": round(average_precision(ordered["score"].to_numpy(), stream.label), 4),
        "midas_r_roc_auc": round(roc_auc(midas, stream.label), 4),
        "midas_r_ap": round(average_precision(midas, stream.label), 4),
        "detect_seconds": round(detect_seconds, 1),
        "score_seconds": round(score_seconds, 1),
        "peak_mib": round(peak_mib()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stream", nargs="?", type=Path, help="src,dst,time,label CSV or .zip")
    parser.add_argument("--heavy-repeat", type=int, metavar="N", help="generate N edges instead")
    parser.add_argument("--tick-seconds", type=int, help="default: 60 for dates, 1 for integers")
    parser.add_argument("--rows", type=int, default=2)
    parser.add_argument("--buckets", type=int, default=1024)
    parser.add_argument("--alpha", type=float, default=0.5)
    parser.add_argument("--clock", choices=("observed", "elapsed"), default="observed")
    parser.add_argument("--one-sided", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--as-reports", action="store_true", help="go through score_reports")
    parser.add_argument("--parts", action="store_true", help="also AUC of each key's score alone")
    parser.add_argument("--json", type=Path, help="write the result row here")
    parser.add_argument(
        "--detect", action="store_true", help="run the whole detector, MIDAS-R beside it"
    )
    args = parser.parse_args()
    if (args.stream is None) == (args.heavy_repeat is None):
        parser.error("give a stream file or --heavy-repeat N")

    started = time.perf_counter()
    if args.heavy_repeat is not None:
        stream = heavy_repeat(args.heavy_repeat, seed=args.seed)
        source = f"heavy-repeat synthetic, {args.heavy_repeat:,} edges"
    else:
        stream = load_edge_stream(args.stream)
        source = str(args.stream)
    load_seconds = time.perf_counter() - started
    load_peak = peak_mib()
    tick_seconds = args.tick_seconds or stream.default_tick_seconds()
    scorer = StreamScorer(
        rows=args.rows,
        buckets=args.buckets,
        alpha=args.alpha,
        clock=args.clock,
        one_sided=args.one_sided,
        tick_seconds=tick_seconds,
        seed=args.seed,
    )
    row = {
        "stream": source,
        "attack_share": round(float(stream.label.mean()), 4),
        "load_seconds": round(load_seconds, 2),
        "peak_mib_after_load": round(load_peak),
        **(
            detect_stream(stream, scorer)
            if args.detect
            else run(stream, scorer, as_reports=args.as_reports, parts=args.parts)
        ),
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
    }
    for key, value in row.items():
        print(f"{key:>22}: {value}")
    if args.json:
        args.json.write_text(json.dumps(row, indent=2) + "\n")


if __name__ == "__main__":
    main()
