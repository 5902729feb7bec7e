"""Render a simulated world into files in the ingest format, with the ground truth beside them.

``reports.jsonl`` (or ``.parquet``), ``accounts.jsonl`` and ``contents.jsonl`` (the reported
items, so that a demo's case pages show what was reported) are exactly what ``reportguard
ingest`` takes. ``truth.json`` holds the campaigns, target labels and account roles;
``truth_reports.parquet`` the label of every report. Rendering is columnar (Polars), one day of
events at a time.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow.parquet as pq

from reportguard.simulate.spec import SURFACES
from reportguard.simulate.text import REASONS
from reportguard.simulate.world import (
    BOT,
    CAMOUFLAGE,
    CAMPAIGN,
    LABEL_NAMES,
    NEWCOMER,
    POPULAR,
    ROLE_NAMES,
    SOCKPUPPET,
    SOURCES,
    THROWAWAY,
    TRUSTED_FLAGGER,
    VIOLATOR,
    VIRAL,
    Events,
    World,
)

ISO = "%Y-%m-%dT%H:%M:%SZ"


def account_id(index: np.ndarray | int) -> Any:
    """Account numbers as the platform's ids."""
    if isinstance(index, (int, np.integer)):
        return f"a{int(index)}"
    return [f"a{int(i)}" for i in index]


def _iso(seconds: np.ndarray) -> pl.Series:
    """Epoch seconds as ISO 8601 UTC text."""
    return pl.from_epoch(pl.Series(seconds.astype(np.int64)), time_unit="s").dt.strftime(ISO)


def _ip_text(ip: pl.Expr) -> pl.Expr:
    parts = [((ip // (1 << shift)) % 256).cast(pl.Utf8) for shift in (24, 16, 8, 0)]
    return pl.when(ip >= 0).then(pl.concat_str(parts, separator=".")).otherwise(None)


class _Renderer:
    """Lookups shared by every day's events (texts, referrers, device ids)."""

    def __init__(self, world: World) -> None:
        self.texts = pl.Series("text", world.bank.texts, dtype=pl.Utf8)
        self.referrers = pl.Series("referrer", world.referrers, dtype=pl.Utf8)
        self.devices = pl.Series("device", world.device_ids, dtype=pl.Utf8)
        self.reasons = pl.Series("reason", list(REASONS), dtype=pl.Utf8)
        self.sources = pl.Series("source", list(SOURCES), dtype=pl.Utf8)
        self.surfaces = pl.Series("surface", list(SURFACES), dtype=pl.Utf8)
        self.labels = pl.Series("label", list(LABEL_NAMES), dtype=pl.Utf8)

    @staticmethod
    def _lookup(series: pl.Series, codes: np.ndarray) -> pl.Series:
        idx = pl.Series(codes.astype(np.int64))
        valid = idx >= 0
        values = series.gather(idx.clip(0, None))
        return pl.select(pl.when(valid).then(values).otherwise(None)).to_series()

    def reports(self, events: Events, first_number: int) -> tuple[pl.DataFrame, pl.DataFrame]:
        n = len(events)
        numbers = pl.Series(np.arange(first_number, first_number + n, dtype=np.int64))
        report_id = ("r" + numbers.cast(pl.Utf8).str.zfill(9)).alias("report_id")
        frame = pl.DataFrame(
            {
                "report_id": report_id,
                "reporter_id": "a" + pl.Series(events.reporter).cast(pl.Utf8),
                "target_id": "a" + pl.Series(events.target).cast(pl.Utf8),
                "content_id": pl.select(
                    pl.when(pl.lit(pl.Series(events.content)) >= 0)
                    .then(
                        pl.concat_str(
                            [
                                pl.lit("a"),
                                pl.lit(pl.Series(events.target)),
                                pl.lit("-p"),
                                pl.lit(pl.Series(events.content)),
                            ]
                        )
                    )
                    .otherwise(None)
                ).to_series(),
                "reason": self._lookup(self.reasons, events.reason),
                "text": self._lookup(self.texts, events.text),
                "created_at": _iso(events.t),
                "source": self._lookup(self.sources, events.source),
                "surface": self._lookup(self.surfaces, events.surface),
                "referrer": self._lookup(self.referrers, events.referrer),
                "ip": pl.select(_ip_text(pl.lit(pl.Series(events.ip)))).to_series(),
                "device": self._lookup(self.devices, events.device),
            }
        )
        truth = pl.DataFrame(
            {
                "report_id": report_id,
                "reporter_id": frame["reporter_id"],
                "target_id": frame["target_id"],
                "label": self._lookup(self.labels, events.label),
                "campaign": pl.Series(events.campaign.astype(np.int32)),
                "created_at": pl.Series(events.t).cast(pl.Int64),
            }
        ).with_columns(pl.when(pl.col("campaign") >= 0).then(pl.col("campaign")).otherwise(None))
        return frame, truth


def _write_accounts(world: World, path: Path, fmt: str) -> None:
    acc = world.accounts
    end = world.t0 + world.spec.days * 86_400
    frame = pl.DataFrame(
        {
            "record_type": pl.repeat("account", len(acc), eager=True),
            "account_id": "a" + pl.Series(np.arange(len(acc))).cast(pl.Utf8),
            "created_at": _iso(acc.created),
            "followers": acc.followers,
            "following": acc.following,
            "posts": acc.posts,
            "handle": acc.handle,
            "snapshot_at": _iso(np.full(len(acc), end, dtype=np.int64)),
        }
    )
    if fmt == "parquet":
        frame.write_parquet(path)
    else:
        frame.write_ndjson(path)


def ip_text(ip: int) -> str:
    """An IPv4 address held as an integer, as text."""
    return ".".join(str((ip >> shift) & 255) for shift in (24, 16, 8, 0))


POST_TEXTS = (
    "Hot take: the new transit schedule is a disaster and I will not stop saying it.",
    "Photos from the weekend trip, finally sorted. The lake was freezing.",
    "Reminder that the community meetup moved to Thursday.",
    "Honestly this thread is the worst thing I have read all week.",
    "Selling my old camera, message me if interested.",
    "Long post about why the referee got it wrong last night.",
)


def _write_contents(world: World, items: set[str], path: Path, fmt: str) -> None:
    """A content record for every item that drew a report: synthetic words and a link on a
    reserved example domain (records only: nothing is published or fetched)."""
    ids = sorted(items)
    owners = [i.split("-p", 1)[0] for i in ids]
    texts = [
        f"{POST_TEXTS[(int(o[1:]) + int(i.split('-p', 1)[1])) % len(POST_TEXTS)]} (synthetic)"
        for i, o in zip(ids, owners, strict=True)
    ]
    end = world.t0 + world.spec.days * 86_400
    frame = pl.DataFrame(
        {
            "record_type": pl.repeat("content", len(ids), eager=True, dtype=pl.Utf8),
            "content_id": pl.Series(ids, dtype=pl.Utf8),
            "account_id": pl.Series(owners, dtype=pl.Utf8),
            "kind": pl.repeat("post", len(ids), eager=True, dtype=pl.Utf8),
            "text": pl.Series(texts, dtype=pl.Utf8),
            "url": pl.Series(
                [
                    f"https://platform.example/{o}/posts/{i}"
                    for i, o in zip(ids, owners, strict=True)
                ],
                dtype=pl.Utf8,
            ),
            "visibility": pl.repeat("public", len(ids), eager=True, dtype=pl.Utf8),
            "snapshot_at": _iso(np.full(len(ids), end, dtype=np.int64)),
        }
    )
    if fmt == "parquet":
        frame.write_parquet(path)
    else:
        frame.write_ndjson(path)


def content_id(target: int, item: int) -> str | None:
    """The id the writer gives a target's item (None: the account itself)."""
    return f"a{target}-p{item}" if item >= 0 else None


def truth_document(
    world: World,
    n_reports: int,
    campaign_stats: dict[int, dict[str, Any]],
    heavy_stats: dict[int, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Everything true about the world that detection and triage are judged against."""
    acc = world.accounts
    heavy_stats = heavy_stats or {}
    campaigns = []
    for c in world.campaigns:
        stats = campaign_stats.get(c.number, {})
        campaigns.append(
            {
                "campaign": c.number,
                "composition": c.spec.composition,
                "camouflaged": c.spec.camouflage > 0,
                "text": c.spec.text,
                "members": account_id(c.members),
                "targets": account_id(c.targets),
                "reports": stats.get("reports", 0),
                "camouflage_reports": stats.get("camouflage", 0),
                "wave_reports": stats.get("waves", 0),
                "first_report_at": stats.get("first"),
                "last_report_at": stats.get("last"),
                "spec": c.spec.model_dump(),
            }
        )
    brigaded = sorted({t for c in campaigns for t in c["targets"]})
    return {
        "generator": "reportguard.simulate",
        "spec": json.loads(world.spec.model_dump_json()),
        "reports": n_reports,
        "accounts": len(acc),
        "campaigns": campaigns,
        "targets": {
            "violating": account_id(np.flatnonzero(acc.role == VIOLATOR)),
            "brigaded": brigaded,
            "viral": account_id(np.array(world.viral_targets, dtype=np.int64)),
            "popular_innocent": account_id(np.flatnonzero(acc.role == POPULAR)),
        },
        "roles": {
            ROLE_NAMES[SOCKPUPPET]: account_id(np.flatnonzero(acc.role == SOCKPUPPET)),
            ROLE_NAMES[THROWAWAY]: account_id(np.flatnonzero(acc.role == THROWAWAY)),
            # Heavy reporters that are not brigades: organic reporters of real violations.
            ROLE_NAMES[TRUSTED_FLAGGER]: account_id(np.flatnonzero(acc.role == TRUSTED_FLAGGER)),
            ROLE_NAMES[BOT]: account_id(np.flatnonzero(acc.role == BOT)),
            # Signed up during a cross-posted wave to report a real violator.
            ROLE_NAMES[NEWCOMER]: account_id(np.flatnonzero(acc.role == NEWCOMER)),
            "spam_account": account_id(world.spam),
        },
        "disputes": [[account_id(a), account_id(b)] for a, b in world.dispute_pairs],
        "waves": [
            {
                "target": account_id(w.target),
                "content_id": content_id(w.target, w.item) if world.spec.content_spread else None,
                "surface": SURFACES[w.surface],
                "crossposted": w.crossposted,
                "referrer": world.referrers[w.referrer] if w.referrer >= 0 else None,
                "newcomers": account_id(w.newcomers),
                "reports": w.reports,
            }
            for w in world.waves
        ],
        "heavy_reporters": [
            {
                "account": account_id(h.account),
                "kind": h.spec.kind,
                "reports": heavy_stats.get(h.account, {}).get("reports", 0),
                "targets": len(heavy_stats.get(h.account, {}).get("targets", ())),
                "spec": h.spec.model_dump(),
            }
            for h in world.heavy
        ],
        "carrier_nat_gateways": [ip_text(int(ip)) for ip in world.nat_gateways],
    }


def write_world(
    world: World,
    days: Iterable[Events],
    out_dir: Path,
    *,
    fmt: str = "jsonl",
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Write reports, accounts and truth; memory holds one day of events at a time."""
    if fmt not in ("jsonl", "parquet"):
        raise ValueError(f"unknown format {fmt!r}: use jsonl or parquet")
    out_dir.mkdir(parents=True, exist_ok=True)
    renderer = _Renderer(world)
    reports_path = out_dir / f"reports.{fmt}"
    truth_path = out_dir / "truth_reports.parquet"
    counts = dict.fromkeys(LABEL_NAMES, 0)
    stats: dict[int, dict[str, Any]] = {}
    heavy_stats: dict[int, dict[str, Any]] = {h.account: {} for h in world.heavy}
    written = 0
    items: set[str] = set()
    json_out = reports_path.open("wb") if fmt == "jsonl" else None
    parquet_out: pq.ParquetWriter | None = None
    truth_out: pq.ParquetWriter | None = None
    try:
        for day, events in enumerate(days):
            frame, truth = renderer.reports(events, written)
            written += len(events)
            items.update(frame["content_id"].drop_nulls().unique().to_list())
            if json_out is not None:
                frame.write_ndjson(json_out)
            else:
                table = frame.to_arrow()
                parquet_out = parquet_out or pq.ParquetWriter(reports_path, table.schema)
                parquet_out.write_table(table)
            truth_table = truth.to_arrow()
            truth_out = truth_out or pq.ParquetWriter(truth_path, truth_table.schema)
            truth_out.write_table(truth_table)
            for code, name in enumerate(LABEL_NAMES):
                counts[name] += int((events.label == code).sum())
            _campaign_stats(stats, events)
            _heavy_stats(heavy_stats, events)
            if progress is not None:
                progress(day + 1, world.spec.days)
    finally:
        if json_out is not None:
            json_out.close()
        if parquet_out is not None:
            parquet_out.close()
        if truth_out is not None:
            truth_out.close()
    _write_accounts(world, out_dir / f"accounts.{fmt}", fmt)
    _write_contents(world, items, out_dir / f"contents.{fmt}", fmt)
    document = truth_document(world, written, stats, heavy_stats)
    document["report_labels"] = counts
    (out_dir / "truth.json").write_text(json.dumps(document, indent=1))
    return {
        "out": str(out_dir),
        "reports": written,
        "accounts": len(world.accounts),
        "campaigns": len(world.campaigns),
        "labels": counts,
    }


def _campaign_stats(stats: dict[int, dict[str, Any]], events: Events) -> None:
    from datetime import UTC, datetime

    for number in np.unique(events.campaign[events.campaign >= 0]):
        mine = events.campaign == number
        entry = stats.setdefault(
            int(number), {"reports": 0, "camouflage": 0, "waves": 0, "first": None, "last": None}
        )
        attack = mine & (events.label == CAMPAIGN)
        entry["reports"] += int(attack.sum())
        entry["camouflage"] += int((mine & (events.label == CAMOUFLAGE)).sum())
        entry["waves"] += int((mine & (events.label == VIRAL)).sum())
        if attack.any():
            first = datetime.fromtimestamp(int(events.t[attack].min()), UTC).strftime(ISO)
            last = datetime.fromtimestamp(int(events.t[attack].max()), UTC).strftime(ISO)
            entry["first"] = min(entry["first"] or first, first)
            entry["last"] = max(entry["last"] or last, last)


def _heavy_stats(stats: dict[int, dict[str, Any]], events: Events) -> None:
    """Reports and distinct targets of each heavy reporter."""
    if not stats:
        return
    heavy = np.isin(events.reporter, np.fromiter(stats, dtype=np.int64))
    for reporter in np.unique(events.reporter[heavy]):
        mine = events.reporter == reporter
        entry = stats[int(reporter)]
        entry["reports"] = entry.get("reports", 0) + int(mine.sum())
        entry.setdefault("targets", set()).update(np.unique(events.target[mine]).tolist())
