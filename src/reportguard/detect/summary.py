"""Detected campaigns for people: a terminal table with the evidence, and JSON."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import polars as pl
from rich import box
from rich.console import Console
from rich.table import Table

from reportguard.detect.campaigns import FoundCampaign


class DetectionSummary(Protocol):
    """What either engine's result offers for printing (in-process Detection, SparkDetection)."""

    campaigns: list[FoundCampaign]
    seconds: float

    @property
    def examined(self) -> int: ...

    @property
    def flagged(self) -> int: ...


def print_campaigns(
    console: Console,
    detection: DetectionSummary,
    *,
    limit: int = 20,
    numbers: Mapping[str, int] | None = None,
) -> None:
    """Each campaign with its evidence; ``numbers`` (stored campaigns) shows the number that
    ``campaign confirm`` and the dashboard use beside the key."""
    numbers = numbers or {}
    found = len(detection.campaigns)
    console.print(
        f"{found} campaign{'' if found == 1 else 's'} from {detection.flagged} of "
        f"{detection.examined} report waves examined "
        f"({detection.seconds:.1f} s). A wave without coordination evidence is organic, however "
        "large."
    )
    for campaign in detection.campaigns[:limit]:
        table = Table(
            box=box.SIMPLE_HEAD,
            show_header=False,
            title_justify="left",
            title=(
                f"campaign {_name(campaign.key, numbers)}  score {campaign.score:.2f}  "
                f"{_count(len(campaign.members), 'member')}, "
                f"{_count(len(campaign.targets), 'target')}, "
                f"{_count(len(campaign.report_ids), 'report')} by members, "
                f"{campaign.first_report_at:%Y-%m-%d %H:%M} to "
                f"{campaign.last_report_at:%Y-%m-%d %H:%M} UTC"
            ),
        )
        table.add_column("signal", style="bold")
        table.add_column("surprise", justify="right")
        table.add_column("evidence")
        for item in campaign.evidence:
            surprise = item.get("surprise")
            table.add_row(
                item["signal"], "" if surprise is None else f"{surprise:.0f}", item["sentence"]
            )
        console.print(table)
    if len(detection.campaigns) > limit:
        console.print(f"... and {len(detection.campaigns) - limit} more (see --json)")


def _name(key: str, numbers: Mapping[str, int]) -> str:
    return f"{numbers[key]} (key {key})" if key in numbers else key


def detection_json(detection: DetectionSummary) -> dict[str, Any]:
    """The detection result format that `reportguard evaluate --result` reads, plus evidence."""
    out = _head(detection)
    scores = getattr(detection, "report_scores", None)
    if isinstance(scores, pl.DataFrame):
        out["report_scores"] = json.loads(_rounded(scores).write_json())
    return out


#: Report scores serialised per slice: Polars builds a slice's whole JSON in memory before
#: writing it, which for ten million scores at once was 1.9 GB on top of everything else.
JSON_SLICE = 500_000


def write_detection_json(detection: DetectionSummary, path: Path) -> None:
    """:func:`detection_json` written to ``path``, the report scores serialised by Polars
    straight into the file, a slice at a time: ten million of them as Python dicts would take
    gigabytes, and as one Polars document over a gigabyte."""
    text = json.dumps(_head(detection), indent=1)
    scores = getattr(detection, "report_scores", None)
    with path.open("wb") as handle:
        if not isinstance(scores, pl.DataFrame):
            handle.write(text.encode())
            return
        handle.write((text[: text.rindex("}")].rstrip() + ',\n "report_scores": [\n').encode())
        rounded = _rounded(scores)
        for start in range(0, len(rounded), JSON_SLICE):
            lines = io.BytesIO()
            rounded.slice(start, JSON_SLICE).write_ndjson(lines)
            # One score a line, the lines joined by commas: one array. Polars writes JSON
            # Lines nearly twice as fast as a JSON array, and JSON text holds no raw newline
            # inside a string, so every newline is between two scores.
            part = lines.getvalue().rstrip(b"\n").replace(b"\n", b",\n")
            handle.write((b",\n" if start else b"") + part)
        handle.write(b"\n]\n}\n")


def _head(detection: DetectionSummary) -> dict[str, Any]:
    return {
        "detector": "reportguard",
        "seconds": round(detection.seconds, 3),
        "campaigns": [c.as_dict() for c in detection.campaigns],
    }


def _rounded(scores: pl.DataFrame) -> pl.DataFrame:
    return scores.with_columns(pl.col(["score", "stream", "campaign_evidence"]).round(4))


def _count(n: int, noun: str) -> str:
    """``1 target``, ``3 targets``."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"
