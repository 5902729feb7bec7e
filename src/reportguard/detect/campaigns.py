"""Campaign fusion: waves proposed by the burst detector, judged by coordination signals.

A wave (a burst of reports against one target) becomes part of a campaign only on *coordination*
evidence: reporters that are young or created together, shared infrastructure, near-identical
text, one outside referral, or the same group reappearing against other targets. The burst's own
size is never evidence of coordination, which is what keeps an organic wave against a genuinely
violating account (a viral surge) out. Flagged waves that share members are one campaign: a ring
that moves from target to target.
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import polars as pl

from reportguard.detect.boundaries import (
    crowds,
    judge_targets,
    raid_cores,
    split_by_support,
    target_sentence,
    target_spans,
    widen_to_spreads,
)
from reportguard.detect.evidence import CAP, poisson_tail
from reportguard.detect.frame import ReportFrame
from reportguard.detect.graph import connected_components
from reportguard.detect.signals import SIGNALS
from reportguard.detect.signals.burst import BurstDetector

# What the boundary step reads of each campaign report: who, whom, when, and the wave it came in
# (null for a report only a ring signal found).
BOUND_COLUMNS = pl.Schema(
    {
        "report_id": pl.Utf8,
        "reporter_id": pl.Utf8,
        "target_id": pl.Utf8,
        "t": pl.Int64,
        "wave": pl.Utf8,  # each engine's own wave id, as text
    }
)
Crowds = Callable[[pl.DataFrame], pl.DataFrame]
SUSPECT_SCHEMA = {"report_id": pl.Utf8, "suspect": pl.Utf8}


@dataclass
class FoundCampaign:
    """A detected campaign with everything a moderator needs to judge it."""

    key: str
    members: list[str]
    targets: list[str]
    report_ids: list[str]
    first_report_at: datetime
    last_report_at: datetime
    score: float
    evidence: list[dict[str, Any]] = field(default_factory=list)
    first_flagged_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "score": round(self.score, 4),
            "members": self.members,
            "targets": self.targets,
            "report_ids": self.report_ids,
            "first_report_at": self.first_report_at.isoformat(),
            "last_report_at": self.last_report_at.isoformat(),
            "first_flagged_at": self.first_flagged_at.isoformat()
            if self.first_flagged_at
            else None,
            "evidence": self.evidence,
        }


# Campaign number -> members in, campaign number -> activity share out (one call per run).
Activity = Callable[[dict[int, list[str]]], dict[int, float]]
# Campaign number -> members in; out: (group, report_id, reporter_id, target_id, t) of the
# members' reports on every target at least ``min_members`` of them reported (one call per run).
Elsewhere = Callable[[dict[int, list[str]], int], pl.DataFrame]


class PhaseClock:
    """Seconds spent in each named phase of a run, and the process's peak memory after it: the
    breakdown a profile of a large log starts from (``benchmarks/detect_phases.py``)."""

    def __init__(self) -> None:
        self.phases: dict[str, tuple[float, int]] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        seconds = self.phases.get(name, (0.0, 0))[0] + now - self._last
        self.phases[name] = (seconds, _peak_mib())
        self._last = time.perf_counter()


def _peak_mib() -> int:
    try:
        import resource
    except ImportError:  # not on Windows: no peak to report
        return 0
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)


def campaign_key(targets: list[str], first: int) -> str:
    """A campaign's stable key: its sorted targets and first report time (epoch seconds), so a
    re-run over the same reports, in either engine, finds the same keys."""
    return hashlib.sha256(f"{','.join(sorted(targets))}@{first}".encode()).hexdigest()[:16]


def campaign_score(evidence: float) -> float:
    """Evidence (summed -log10 surprises) as a score in [0, 1): 20 units of evidence is 0.63."""
    return float(1 - np.exp(-evidence / 20))


def _new_columns(table: pl.DataFrame, part: pl.DataFrame, name: str) -> pl.DataFrame:
    """A signal's wave columns that the table lacks. A column two signals share (a wave's
    ``reporters`` or ``reports``) is kept once, and only if both measured the same values: a
    sentence must never quote another signal's different count."""
    shared = [c for c in part.columns if c in table.columns and c != "wave"]
    for column in shared:
        both = table.select("wave", column).join(
            part.select("wave", pl.col(column).alias("_theirs")), on="wave"
        )
        if both.filter(pl.col(column).ne_missing(pl.col("_theirs"))).height:
            raise ValueError(f"{name} writes the wave column {column!r} with other values")
    return part.drop(shared)


def _extend(campaign: FoundCampaign, reports: pl.DataFrame) -> None:
    """Add a lockstep group's reports (and so its other targets) to an overlapping campaign."""
    members = set(campaign.members)
    mine = reports.filter(pl.col("reporter_id").is_in(list(members)))
    known = set(campaign.report_ids)
    extra = mine.filter(~pl.col("report_id").is_in(list(known)))
    if extra.is_empty():
        return
    campaign.report_ids = campaign.report_ids + extra["report_id"].to_list()
    campaign.targets = sorted(set(campaign.targets) | set(extra["target_id"].to_list()))
    first = min(campaign.first_report_at.timestamp(), float(extra["t"].min()))  # type: ignore[arg-type]
    last = max(campaign.last_report_at.timestamp(), float(extra["t"].max()))  # type: ignore[arg-type]
    campaign.first_report_at = datetime.fromtimestamp(first, UTC)
    campaign.last_report_at = datetime.fromtimestamp(last, UTC)
    campaign.evidence.append(
        {
            "signal": "lockstep",
            "surprise": None,
            "sentence": f"the same reporters also reported {extra['target_id'].n_unique()} more "
            "targets together, each time within the same hour",
        }
    )


def spread_waves(table: pl.DataFrame) -> pl.DataFrame:
    """The waves a post going round explains and nothing flags (``target_id``, ``start``,
    ``end``): the crowds a campaign's target spans are widened to in :meth:`bound`."""
    if "spread" not in table.columns:
        return pl.DataFrame(schema={"target_id": pl.Utf8, "start": pl.Int64, "end": pl.Int64})
    return table.filter(pl.col("spread").fill_null(False) & ~pl.col("flagged")).select(
        "target_id", pl.col("start").cast(pl.Int64), pl.col("end").cast(pl.Int64)
    )


@dataclass
class Detection:
    """The outcome of one detection run: campaigns and every wave that was examined."""

    campaigns: list[FoundCampaign]
    waves: pl.DataFrame
    seconds: float = 0.0
    # One row per report (detect.report_scores), when the caller asked for them.
    report_scores: pl.DataFrame | None = None
    # (report_id, suspect): reports that carry a trait of a burst whose coordination evidence
    # was real but below a campaign's bar, keyed by the burst; triage hears each as one voice.
    suspects: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=SUSPECT_SCHEMA))
    # Phase name -> (seconds, peak MiB after it), fitting then scoring (``PhaseClock``).
    phases: dict[str, tuple[float, int]] = field(default_factory=dict)

    @property
    def examined(self) -> int:
        """How many waves the coordination signals judged (a wave's peak, judged too, is part
        of its wave)."""
        return count_waves(self.waves)

    @property
    def flagged(self) -> int:
        """How many of them carried enough coordination evidence, in all or at their peak."""
        if "flagged" not in self.waves.columns:
            return 0
        return count_waves(self.waves.filter(pl.col("flagged")))


class CampaignDetector:
    """Runs the burst detector and the coordination signals, and fuses them into campaigns.

    Parameters are stored as given; the detectors are built by :meth:`default` unless passed.
    """

    def __init__(
        self,
        *,
        burst: BurstDetector | None = None,
        signals: list[Any] | None = None,
        min_evidence: float = 12.0,
        suspect_evidence: float = 6.0,
        merge_overlap: float = 0.3,
        bystander_p: float = 0.001,
        target_min_members: int = 3,
        target_min_share: float = 0.3,
        target_min_ratio: float = 10.0,
        target_min_surprise: float = 6.0,
        target_excess_share: float = 0.6,
        target_pad_seconds: int = 3600,
        target_core_share: float = 0.8,
        target_pad_share: float = 0.25,
        target_min_pad: int = 600,
        target_max_span: int = 86_400,
    ) -> None:
        self.burst = burst
        self.signals = signals
        self.min_evidence = min_evidence
        self.suspect_evidence = suspect_evidence
        self.merge_overlap = merge_overlap
        self.bystander_p = bystander_p
        self.target_min_members = target_min_members
        self.target_min_share = target_min_share
        self.target_min_ratio = target_min_ratio
        self.target_min_surprise = target_min_surprise
        self.target_excess_share = target_excess_share
        self.target_pad_seconds = target_pad_seconds
        self.target_core_share = target_core_share
        self.target_pad_share = target_pad_share
        self.target_min_pad = target_min_pad
        self.target_max_span = target_max_span

    @classmethod
    def default(cls, **params: Any) -> CampaignDetector:
        """The engine with every registered signal at its default parameters."""
        return cls(burst=BurstDetector(), signals=[signal() for signal in SIGNALS], **params)

    def clone(self) -> CampaignDetector:
        """A new, unfitted detector with copies of the same detectors and parameters."""
        return CampaignDetector(
            burst=self.burst.clone() if self.burst is not None else None,
            signals=[s.clone() for s in self.signals] if self.signals is not None else None,
            min_evidence=self.min_evidence,
            suspect_evidence=self.suspect_evidence,
            merge_overlap=self.merge_overlap,
            bystander_p=self.bystander_p,
            target_min_members=self.target_min_members,
            target_min_share=self.target_min_share,
            target_min_ratio=self.target_min_ratio,
            target_min_surprise=self.target_min_surprise,
            target_excess_share=self.target_excess_share,
            target_pad_seconds=self.target_pad_seconds,
            target_core_share=self.target_core_share,
            target_pad_share=self.target_pad_share,
            target_min_pad=self.target_min_pad,
            target_max_span=self.target_max_span,
        )

    def run(self, frame: ReportFrame) -> Detection:
        """Batch detection over everything in ``frame``: ``fit`` then ``score`` on it."""
        started = time.perf_counter()
        detection = self.fit(frame).score(frame)
        detection.seconds = time.perf_counter() - started
        detection.phases = {**self.fit_phases_, **detection.phases}
        return detection

    def fit(self, frame: ReportFrame) -> CampaignDetector:
        """Learn every platform-wide baseline from ``frame`` (no waves are judged here).

        What is learned lives in ``burst_``, ``signals_`` and ``active_reporters_``; the
        parameters (``burst``, ``signals``) stay unfitted, so a refit starts from them.
        """
        clock = PhaseClock()
        self.breadth_ = frame.breadth()
        clock.lap("fit: breadth")
        self.burst_ = (self.burst or BurstDetector()).clone().fit(frame)
        clock.lap("fit: burst")
        self.signals_ = []
        for signal in self.signals or []:
            self.signals_.append(signal.clone().fit(frame))
            clock.lap(f"fit: {signal.name}")
        self.active_reporters_ = max(1, frame.distinct_reporters())
        # Who reported whom and when, for the crowds of targets a ring found outside a scored
        # frame (an incremental score holds only some targets).
        self.log_ = frame
        self.fit_phases_ = clock.phases
        return self

    def score(self, frame: ReportFrame) -> Detection:
        """Find and judge the waves of the targets in ``frame`` against the fitted baselines.

        ``frame`` may hold only some targets (each with its whole history, and every account
        snapshot): their waves and campaigns are then the same as in the whole log.
        """
        started = time.perf_counter()
        clock = PhaseClock()
        burst, signals = self.burst_, self.signals_
        waves = burst.find_waves(frame)
        wave_reports = burst.wave_reports(frame, waves)
        clock.lap("score: waves")
        if waves.is_empty():
            return Detection([], waves, time.perf_counter() - started, phases=clock.phases)
        table = waves
        for signal in signals:
            part = signal.waves(wave_reports, frame)
            table = table.join(_new_columns(table, part, signal.name), on="wave", how="left")
            clock.lap(f"score: {signal.name}")
        table = self._weigh(table, signals)
        members = self._members(
            table, wave_reports, signals, frame, bucket_seconds=burst.bucket_minutes * 60
        )
        suspected = self._members(
            table,
            wave_reports,
            signals,
            frame,
            bucket_seconds=burst.bucket_minutes * 60,
            which="suspect",
        )
        suspects = narrowest(suspected).select(
            "report_id",
            pl.concat_str(
                [pl.col("target_id"), pl.col("start").cast(pl.Utf8)], separator="@"
            ).alias("suspect"),
        )
        clock.lap("score: members")
        campaigns = self._fuse(table, members, [burst, *signals])
        campaigns += self.lockstep_rings(signals, campaigns)
        clock.lap("score: fusion")
        known = pl.concat(
            [
                narrowest(members).select(*BOUND_COLUMNS).cast(BOUND_COLUMNS),
                *(
                    r.select(*list(BOUND_COLUMNS)[:4])
                    .with_columns(pl.lit(None, dtype=pl.Utf8).alias("wave"))
                    .cast(BOUND_COLUMNS)
                    for s in signals
                    for r in s.rings()
                ),
            ]
        ).unique("report_id", keep="first", maintain_order=True)
        campaigns = self.bound(
            campaigns,
            known,
            lambda spans: self._crowds(spans, frame),
            {row["wave"]: row for row in table.filter(pl.col("flagged")).iter_rows(named=True)},
            [burst, *signals],
            active_reporters=self.active_reporters_,
            activity=self._activity,
            elsewhere=self._elsewhere,
            spreads=spread_waves(table),
        )
        in_campaigns = pl.Series([r for c in campaigns for r in c.report_ids], dtype=pl.Utf8)
        suspects = suspects.filter(~pl.col("report_id").is_in(in_campaigns.implode()))
        clock.lap("score: boundaries")
        return Detection(
            campaigns,
            table,
            time.perf_counter() - started,
            suspects=suspects,
            phases=clock.phases,
        )

    def _elsewhere(self, groups: dict[int, list[str]], min_members: int) -> pl.DataFrame:
        """Each group's reports, in the fitted log, on targets ``min_members`` members reported."""
        tags = pl.DataFrame(
            [(g, m) for g, members in groups.items() for m in members],
            schema={"group": pl.Int64, "reporter_id": pl.Utf8},
            orient="row",
        )
        log = self.log_
        mine = (
            log.reports.select("report_id", "reporter_id", "target_id", "t")
            .filter(log.reported_by(tags["reporter_id"]))
            .join(tags, on="reporter_id")
        )
        shared = (
            mine.group_by("group", "target_id")
            .agg(pl.col("reporter_id").n_unique().alias("n"))
            .filter(pl.col("n") >= min_members)
        )
        return mine.join(shared.select("group", "target_id"), on=["group", "target_id"]).select(
            "group", "report_id", "reporter_id", "target_id", "t"
        )

    def _weigh(self, table: pl.DataFrame, signals: list[Any]) -> pl.DataFrame:
        """Sum each wave's evidence and flag it; evidence a context explains is not counted."""
        present = [c for s in signals for c in s.surprise_columns]
        explained = [
            pl.when(pl.col(context).fill_null(False)).then(pl.col(column).clip(0, CAP)).otherwise(0)
            for s in signals
            for column, context in s.explained_by
            if context in table.columns and column in present
        ]
        return (
            table.with_columns([pl.col(c).fill_null(0.0) for c in present])
            .with_columns(
                pl.sum_horizontal([pl.col(c).clip(0, CAP) for c in present]).alias("evidence"),
                pl.sum_horizontal([*explained, pl.lit(0.0)]).alias("explained"),
            )
            .with_columns(
                (pl.col("evidence") - pl.col("explained") >= self.min_evidence).alias("flagged"),
                (
                    (pl.col("evidence") - pl.col("explained") >= self.suspect_evidence)
                    & (pl.col("evidence") - pl.col("explained") < self.min_evidence)
                ).alias("suspect"),
            )
        )

    def _activity(self, groups: dict[int, list[str]]) -> dict[int, float]:
        """Each group's share of the fitted log's distinct (reporter, target) pairs."""
        total = max(int(self.breadth_["breadth"].sum()), 1)
        tags = pl.DataFrame(
            [(g, m) for g, members in groups.items() for m in members],
            schema={"group": pl.Int64, "reporter_id": pl.Utf8},
            orient="row",
        )
        sums = tags.join(self.breadth_, on="reporter_id").group_by("group").agg(pl.sum("breadth"))
        found = dict(sums.iter_rows())
        return {g: found.get(g, 0) / total for g in groups}

    def _crowds(self, spans: pl.DataFrame, frame: ReportFrame) -> pl.DataFrame:
        """Crowds from the scored frame for its own targets (each with its whole history), from
        the fitted log for the others."""
        columns = ["report_id", "reporter_id", "target_id", "t"]
        wanted = spans["target_id"].unique()
        here = frame.reports.select(columns).filter(frame.reporting(wanted))
        absent = wanted.filter(~wanted.is_in(here["target_id"].unique().implode()))
        fitted = self.log_
        elsewhere = fitted.reports.select(columns).filter(fitted.reporting(absent))
        log = pl.concat([here, elsewhere])
        return crowds(spans, log)

    def bound(
        self,
        campaigns: list[FoundCampaign],
        reports: pl.DataFrame,
        crowd: Crowds,
        waves: dict[Any, dict[str, Any]],
        detectors: list[Any],
        *,
        active_reporters: int,
        activity: Activity | None = None,
        elsewhere: Elsewhere | None = None,
        spreads: pl.DataFrame | None = None,
    ) -> list[FoundCampaign]:
        """Keep each campaign to the targets it has evidence for, and split what that leaves.

        A target stays only when the campaign's members are far more concentrated among its
        reporters, over the span they reported it in, than their share of all reporters predicts
        (:func:`~reportguard.detect.boundaries.judge_targets`). Targets that the remaining members
        back with barely overlapping sets are separate campaigns. ``reports`` holds every
        campaign report (:data:`BOUND_COLUMNS`), ``crowd`` counts each span's reporters in the
        log, and ``waves`` are the flagged waves' rows by wave id; both engines call this.
        ``activity`` gives each campaign's members' share of the log's distinct (reporter,
        target) pairs, the chance share for heavy reporters. ``elsewhere`` gives the members'
        reports on other targets several of them reported, without a wave there (a brigade's
        second victim that drew too few reports to burst): each is judged by the same test.
        ``spreads`` are the unflagged waves a post going round explains (``target_id``,
        ``start``, ``end``): a span that meets one is judged among the whole wave's reporters
        (:func:`~reportguard.detect.boundaries.widen_to_spreads`).
        """
        if not campaigns:
            return []
        waves = {str(wave): row for wave, row in waves.items()}
        tags = pl.DataFrame(
            [(i, r) for i, c in enumerate(campaigns) for r in c.report_ids],
            schema={"group": pl.Int64, "report_id": pl.Utf8},
            orient="row",
        )
        tagged = tags.join(reports, on="report_id", maintain_order="left")
        if elsewhere is not None:
            tagged = self._with_elsewhere(tagged, campaigns, elsewhere)
        shares = activity({i: c.members for i, c in enumerate(campaigns)}) if activity else {}
        sizes = pl.DataFrame(
            {
                "group": range(len(campaigns)),
                "size": [len(c.members) for c in campaigns],
                "activity": [shares.get(i, 0.0) for i in range(len(campaigns))],
            },
            schema={"group": pl.Int64, "size": pl.Int64, "activity": pl.Float64},
        )
        spans = target_spans(
            tagged,
            core_share=self.target_core_share,
            pad_share=self.target_pad_share,
            min_pad=self.target_min_pad,
            max_pad=self.target_pad_seconds,
        )
        judged = judge_targets(
            crowd(widen_to_spreads(spans, tagged, spreads)),
            sizes,
            active_reporters=active_reporters,
            min_members=self.target_min_members,
            min_share=self.target_min_share,
            min_ratio=self.target_min_ratio,
            min_surprise=self.target_min_surprise,
            excess_share=self.target_excess_share,
        ).filter(pl.col("kept"))
        by_group: dict[int, dict[str, dict[str, Any]]] = defaultdict(dict)
        for row in judged.iter_rows(named=True):
            by_group[row["group"]][row["target_id"]] = row
        out: dict[str, FoundCampaign] = {}
        for (number,), group in tagged.group_by(["group"], maintain_order=True):
            kept = by_group.get(int(number), {})
            mine = group.filter(pl.col("target_id").is_in(list(kept)))
            if mine.is_empty():
                continue
            support = {
                t: set(g["reporter_id"].to_list()) for (t,), g in mine.group_by(["target_id"])
            }
            for part in split_by_support(support, overlap=self.merge_overlap):
                found = self._part(
                    mine.filter(pl.col("target_id").is_in(part)), kept, waves, detectors
                )
                out.setdefault(found.key, found)
        return sorted(out.values(), key=lambda c: (-c.score, c.first_report_at))

    def _with_elsewhere(
        self, tagged: pl.DataFrame, campaigns: list[FoundCampaign], elsewhere: Elsewhere
    ) -> pl.DataFrame:
        """The campaigns' reports plus their members' reports on targets without a wave that
        several members reported within ``target_max_span`` of each other (the raid's core):
        acting together is acting at the same time, not three members' ordinary reports on the
        same quiet account over two weeks."""
        groups = {i: c.members for i, c in enumerate(campaigns)}
        extra = (
            elsewhere(groups, self.target_min_members)
            .join(
                tagged.select("group", "target_id").unique(), on=["group", "target_id"], how="anti"
            )
            .with_columns(pl.lit(None, dtype=pl.Utf8).alias("wave"))
            .select("group", *BOUND_COLUMNS)
        )
        if extra.is_empty():
            return tagged
        spans = target_spans(extra, core_share=self.target_core_share)
        close = spans.filter(
            (pl.col("end") - pl.col("start") <= self.target_max_span)
            & (pl.col("members") >= self.target_min_members)
        )
        extra = extra.join(close.select("group", "target_id"), on=["group", "target_id"])
        return pl.concat([tagged, extra.cast(tagged.schema)]).sort("group", maintain_order=True)

    def _part(
        self,
        mine: pl.DataFrame,
        kept: dict[str, dict[str, Any]],
        waves: dict[Any, dict[str, Any]],
        detectors: list[Any],
    ) -> FoundCampaign:
        """One bounded campaign: its waves' findings, its ring, and each target's evidence."""
        targets = sorted(set(mine["target_id"].to_list()))
        members = sorted(set(mine["reporter_id"].to_list()))
        rows = sorted(
            (waves[w] for w in set(mine["wave"].drop_nulls().to_list())),
            key=lambda r: (r["start"], r["target_id"]),
        )
        evidence = self.evidence_sentences(rows, detectors) if rows else []
        ringed = sorted(set(targets) - {r["target_id"] for r in rows})
        if ringed:
            ring = next((d for d in detectors if d.rings()), None)
            sentence = (
                f"the same reporters also reported {len(ringed)} more targets together, each "
                "time within the same hour"
                if rows or ring is None
                else ring.ring_sentence(len(members), len(targets))
            )
            name = ring.name if ring is not None else "lockstep"
            evidence.append({"signal": name, "surprise": None, "sentence": sentence})
        for target in targets:
            row = kept[target]
            evidence.append(
                {
                    "signal": "target",
                    "target_id": target,
                    "surprise": round(float(row["surprise"]), 1),
                    "sentence": target_sentence(row),
                }
            )
        strength = max(r["evidence"] for r in rows) if rows else min(40.0, 4.0 * len(targets))
        return _found(members, targets, mine, strength, evidence)

    @staticmethod
    def lockstep_rings(signals: list[Any], found: list[FoundCampaign]) -> list[FoundCampaign]:
        """Rings too small to burst on any one target: groups a signal found on its own (the
        lockstep groups) that are not already a campaign.

        They come from the fitted signals (the whole log), so batch, incremental refits and
        settle all see the same ones.
        """
        rings = []
        for signal, reports in ((s, r) for s in signals for r in s.rings()):
            members = sorted(set(reports["reporter_id"].to_list()))
            overlapping = [
                c for c in found if len(set(members) & set(c.members)) >= 0.5 * len(members)
            ]
            if overlapping:  # the ring's other targets belong to the campaign already found
                _extend(overlapping[0], reports)
                continue
            targets = sorted(set(reports["target_id"].to_list()))
            evidence = {
                "signal": signal.name,
                "surprise": None,
                "sentence": signal.ring_sentence(len(members), len(targets)),
            }
            strength = min(40.0, 4.0 * len(targets))
            rings.append(_found(members, targets, reports, strength, [evidence]))
        return rings

    def _members(
        self,
        table: pl.DataFrame,
        wave_reports: pl.DataFrame,
        signals: list[Any],
        frame: ReportFrame,
        *,
        bucket_seconds: int,
        which: str = "flagged",
    ) -> pl.DataFrame:
        """The reports of flagged waves (or of the waves in column ``which``) that carry a trait
        of the coordination found there.

        A bystander who reported the same target at the same time on their own carries none of
        the traits (young or batch-created account, shared address, the wave's referrer, its
        near-duplicate text, membership of the group's other waves) and is left out.
        """
        flagged = table.filter(pl.col(which))
        inside = wave_reports.join(flagged.select("wave"), on="wave")
        if inside.is_empty():
            return inside
        marks = [signal.traits(inside, flagged, frame) for signal in signals]
        carried = pl.DataFrame([m.alias(f"m{i}") for i, m in enumerate(marks)])
        inside = inside.with_columns(
            carried.select(pl.any_horizontal(pl.all())).to_series().alias("trait")
        )
        # How many reporters without any trait could be bystanders? The raid is the dense core
        # of the trait carriers' reports; the burst baseline says how many reports the target
        # draws by itself over that core. Far more trait-less reporters inside it than that are
        # members whose traits are simply not visible (no referral, own words, own devices).
        cores = raid_cores(inside, self.target_core_share, pad=bucket_seconds)
        core_buckets = (pl.col("core_end") - pl.col("core_start")) / bucket_seconds
        rate = pl.col("expected") / pl.col("window")
        in_core = inside.join(cores, on="wave").filter(
            ~pl.col("trait") & pl.col("t").is_between(pl.col("core_start"), pl.col("core_end"))
        )
        plain = (
            in_core.group_by("wave")
            .agg(pl.col("reporter_id").n_unique().alias("plain"))
            .join(cores, on="wave")
            .join(flagged.select("wave", "expected", "window"), on="wave")
            .select("wave", "plain", (rate * core_buckets.clip(lower_bound=1)).alias("expected"))
        )
        p = poisson_tail(plain["plain"].to_numpy(), plain["expected"].to_numpy() + 0.5)
        # A post going round draws a crowd of its own: where a context explains the wave, its
        # reporters without a trait are that crowd, not members whose traits are hidden.
        explained = flagged.filter(_in_context(flagged, signals))["wave"].implode()
        members_too = plain.filter(
            pl.Series(p < self.bystander_p) & ~pl.col("wave").is_in(explained)
        )["wave"].implode()
        extra = in_core.filter(pl.col("wave").is_in(members_too)).select("report_id")
        return inside.filter(
            pl.col("trait") | pl.col("report_id").is_in(extra["report_id"].implode())
        ).drop("trait")

    def _fuse(
        self, table: pl.DataFrame, wave_reports: pl.DataFrame, signals: list[Any]
    ) -> list[FoundCampaign]:
        flagged = table.filter(pl.col("flagged"))
        if flagged.is_empty() or wave_reports.is_empty():
            return []
        reporters = wave_reports.group_by("wave").agg(pl.col("reporter_id").unique())
        sets = {w: set(r) for w, r in reporters.iter_rows()}
        order = sorted(sets)
        index: dict[str, list[int]] = defaultdict(list)
        for w in order:
            for r in sets[w]:
                index[r].append(w)
        links = []
        for w in order:
            counts: dict[int, int] = defaultdict(int)
            for r in sets[w]:
                for other in index[r]:
                    if other != w:
                        counts[other] += 1
            links += [
                (w, other)
                for other, shared in counts.items()
                if shared / min(len(sets[w]), len(sets[other])) >= self.merge_overlap
            ]
        groups = {min(g): sorted(g) for g in connected_components(links, nodes=order)}
        rows = {row["wave"]: row for row in flagged.iter_rows(named=True)}
        campaigns = []
        for waves in groups.values():
            mine = wave_reports.filter(pl.col("wave").is_in(waves)).unique(
                "report_id", keep="first", maintain_order=True
            )
            evidence = self.evidence_sentences([rows[w] for w in waves], signals)
            total = max(rows[w]["evidence"] for w in waves)
            first, last = int(mine["t"].min()), int(mine["t"].max())  # type: ignore[arg-type]
            targets = sorted(set(mine["target_id"].to_list()))
            key = campaign_key(targets, first)
            campaigns.append(
                FoundCampaign(
                    key=key,
                    members=sorted(set(mine["reporter_id"].to_list())),
                    targets=targets,
                    report_ids=mine["report_id"].to_list(),
                    first_report_at=datetime.fromtimestamp(first, UTC),
                    last_report_at=datetime.fromtimestamp(last, UTC),
                    score=campaign_score(total),
                    evidence=evidence,
                )
            )
        campaigns.sort(key=lambda c: (-c.score, c.first_report_at))
        return campaigns

    def evidence_sentences(
        self, rows: list[dict[str, Any]], signals: list[Any]
    ) -> list[dict[str, Any]]:
        """The strongest wave's findings per signal, as plain sentences with their numbers."""
        best = max(rows, key=lambda r: r["evidence"])
        found: list[dict[str, Any]] = []
        for signal in signals:
            for name, surprise, sentence in signal.sentences(best):
                found.append({"signal": name, "surprise": round(surprise, 1), "sentence": sentence})
        # A wave judged at its peak too is one wave.
        waves = {(r["target_id"], r.get("wave_start", r["start"])) for r in rows}
        targets = {r["target_id"] for r in rows}
        if len(waves) > 1:
            against = f"{len(targets)} different targets" if len(targets) > 1 else "one target"
            found.append(
                {
                    "signal": "ring",
                    "surprise": None,
                    "sentence": f"the same group reported {len(waves)} waves against {against}",
                }
            )
        return found


def count_waves(table: pl.DataFrame) -> int:
    """Waves in ``table``, each counted once with its peak (``wave_start``)."""
    if table.is_empty():
        return 0
    return table.select("target_id", "wave_start").n_unique()


def narrowest(reports: pl.DataFrame) -> pl.DataFrame:
    """One row per report of ``reports`` (which hold ``start`` and ``end`` of their wave): a
    report inside a long wave and inside its peak is credited to the narrower one,
    where the coordination was judged at its sharpest. Both engines break ties this way."""
    return reports.sort(pl.col("end") - pl.col("start"), "start", maintain_order=True).unique(
        "report_id", keep="first", maintain_order=True
    )


def _in_context(table: pl.DataFrame, signals: list[Any]) -> pl.Expr:
    """Waves that one of the contexts among ``signals`` explains (a post going round)."""
    columns = [c for s in signals if (c := s.context_column) and c in table.columns]
    return pl.any_horizontal([pl.col(c).fill_null(False) for c in columns] or [pl.lit(False)])


def _found(
    members: list[str],
    targets: list[str],
    reports: pl.DataFrame,
    strength: float,
    evidence: list[dict[str, Any]],
) -> FoundCampaign:
    """A campaign of these members and targets, spanning its reports' times."""
    first, last = int(reports["t"].min()), int(reports["t"].max())  # type: ignore[arg-type]
    return FoundCampaign(
        key=campaign_key(targets, first),
        members=members,
        targets=targets,
        report_ids=reports["report_id"].to_list(),
        first_report_at=datetime.fromtimestamp(first, UTC),
        last_report_at=datetime.fromtimestamp(last, UTC),
        score=campaign_score(strength),
        evidence=evidence,
    )
