"""Score a detection result against a simulated platform's ground truth.

A *detection result* is what any detector (ours, a baseline, a peer tool through an adapter)
claims: campaigns (members, targets, optionally report ids, the time first flagged), optionally
a triage queue and the accounts it would have actioned automatically. The same code scores them
all, so their rows in the table are comparable.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
from pydantic import BaseModel, Field

from reportguard.errors import InputFileError
from reportguard.evaluate.metrics import (
    average_precision,
    median,
    ndcg_at_k,
    precision_at_k,
    prf,
    roc_auc,
)

GROUPS = ("sockpuppet", "real-account", "camouflaged")
RANK_KS = (10, 50, 100)


class DetectedCampaign(BaseModel):
    members: list[str]
    targets: list[str]
    report_ids: list[str] | None = None
    score: float = 1.0
    first_flagged_at: datetime | None = None


class ReportScore(BaseModel):
    """One report's score (``detect --json``): campaign evidence, then its stream rank."""

    report_id: str
    score: float
    stream: float | None = None


class DetectionResult(BaseModel):
    """What a detector claims; written as JSON by ``reportguard detect`` and the adapters."""

    detector: str
    seconds: float | None = None
    campaigns: list[DetectedCampaign] = Field(default_factory=list)
    queue: list[str] | None = None
    automated_actions: list[str] | None = None
    report_scores: list[ReportScore] | None = None

    @classmethod
    def from_found(
        cls,
        detector: str,
        seconds: float | None,
        campaigns: Iterable[Any],
        report_scores: pl.DataFrame | None = None,
    ) -> DetectionResult:
        """From campaigns with members, targets, report_ids, score and first_flagged_at."""
        return cls(
            report_scores=None
            if report_scores is None
            else [
                ReportScore(report_id=r, score=s, stream=t)
                for r, s, t in report_scores.select("report_id", "score", "stream").iter_rows()
            ],
            detector=detector,
            seconds=None if seconds is None else round(seconds, 2),
            campaigns=[
                DetectedCampaign(
                    members=c.members,
                    targets=c.targets,
                    report_ids=c.report_ids,
                    score=c.score,
                    first_flagged_at=c.first_flagged_at,
                )
                for c in campaigns
            ],
        )

    @classmethod
    def load(cls, path: Path) -> DetectionResult:
        try:
            return cls.model_validate_json(path.read_text())
        except FileNotFoundError:
            raise InputFileError(f"{path}: no such result file") from None
        except ValueError as exc:
            raise InputFileError(f"{path}: not a detection result: {exc}") from None

    def save(self, path: Path) -> None:
        path.write_text(self.model_dump_json(indent=1, exclude_none=True))


class Truth:
    """The ground truth a simulation wrote (truth.json and truth_reports.parquet)."""

    def __init__(self, directory: Path) -> None:
        doc_path = directory / "truth.json"
        reports_path = directory / "truth_reports.parquet"
        if not doc_path.is_file() or not reports_path.is_file():
            raise InputFileError(
                f"{directory}: no ground truth here (truth.json and truth_reports.parquet, "
                "as written by `reportguard simulate`)"
            )
        self.doc: dict[str, Any] = json.loads(doc_path.read_text())
        self.reports = pl.read_parquet(reports_path)
        targets = self.doc["targets"]
        self.violating: set[str] = set(targets["violating"])
        self.brigaded: set[str] = set(targets["brigaded"])
        self.viral: set[str] = set(targets["viral"])
        self.campaigns: list[dict[str, Any]] = self.doc["campaigns"]
        attack = self.reports.filter(pl.col("label") == "campaign")
        self.attack_report_ids: set[str] = set(attack["report_id"].to_list())
        self.camouflage_report_ids: set[str] = set(
            self.reports.filter(pl.col("label") == "camouflage")["report_id"].to_list()
        )
        # Members who actually filed an attack report (a listed member who never took part
        # cannot be found in the data, so is not counted against a detector).
        self.active_members: dict[int, set[str]] = defaultdict(set)
        for number, reporter in attack.select("campaign", "reporter_id").iter_rows():
            self.active_members[int(number)].add(reporter)
        self.attack_times: dict[int, list[int]] = defaultdict(list)
        for number, t in attack.select("campaign", "created_at").sort("created_at").iter_rows():
            self.attack_times[int(number)].append(int(t))

    def traceless(self, campaign: dict[str, Any]) -> bool:
        """A brigade that leaves no trace in reports (the detection issue's point 6).

        Real accounts, their own words or none, their own devices and addresses, no link, the
        surfaces everyone files from, one target: nothing in the reports tells its members from
        people who came across the account. Detection is not scored on finding them; triage is
        held to the harm bound for them instead.
        """
        spec = campaign.get("spec") or {}
        return (
            spec.get("composition") == "community"
            and spec.get("text") in ("empty", "rewrite")
            and not spec.get("referral")
            and not spec.get("proxy_pool")
            and not spec.get("shared_devices")
            and spec.get("surfaces") is not None
            and spec.get("targets") == 1
        )

    def group(self, campaign: dict[str, Any]) -> str:
        if campaign["camouflaged"]:
            return "camouflaged"
        return "real-account" if campaign["composition"] == "community" else "sockpuppet"


def _derived_report_ids(truth: Truth, result: DetectionResult) -> set[str]:
    """Reports a campaign claims: given ids, else reports from its members to its targets.

    Two joins (reporter to campaign, then campaign and target), linear in the sizes: a campaign
    of 50,000 members and 20,000 targets is never expanded into their product.
    """
    ids: set[str] = set()
    members: list[tuple[int, str]] = []
    targets: list[tuple[int, str]] = []
    for number, campaign in enumerate(result.campaigns):
        if campaign.report_ids is not None:
            ids.update(campaign.report_ids)
        else:
            members.extend((number, m) for m in campaign.members)
            targets.extend((number, t) for t in campaign.targets)
    if members and targets:
        by_member = pl.DataFrame(members, schema=["c", "reporter_id"], orient="row").unique()
        by_target = pl.DataFrame(targets, schema=["c", "target_id"], orient="row").unique()
        joined = (
            truth.reports.select("report_id", "reporter_id", "target_id")
            .join(by_member, on="reporter_id")
            .join(by_target, on=["c", "target_id"], how="semi")
        )
        ids.update(joined["report_id"].to_list())
    return ids - truth.camouflage_report_ids


def count_ranking(truth: Truth) -> list[str]:
    """The naive queue: targets by number of reports, most first."""
    counts = (
        truth.reports.group_by("target_id")
        .len()
        .sort(["len", "target_id"], descending=[True, False])
    )
    return counts["target_id"].to_list()


def naive_auto_actions(truth: Truth, threshold: int = 20, window_hours: int = 24) -> set[str]:
    """Targets a count rule would action automatically: ``threshold`` reports within a window."""
    frame = truth.reports.select("target_id", "created_at").sort("target_id", "created_at")
    bucket = pl.col("created_at") // (window_hours * 3600)
    # Counting in fixed windows and their overlap with the next window bounds a sliding count.
    hits = frame.with_columns(bucket.alias("b")).group_by("target_id", "b").len()
    over = hits.filter(pl.col("len") >= threshold)["target_id"].unique().to_list()
    return set(over)


def assign_campaigns(truth: Truth, result: DetectionResult) -> dict[int, list[DetectedCampaign]]:
    """Give each predicted campaign to the planted one it shares most members with.

    A prediction counts for a planted campaign only if it also names one of its targets: a
    group that merely contains some of the same (real, otherwise ordinary) accounts is not a
    detection of that campaign.
    """
    planted_targets = {c["campaign"]: set(c["targets"]) for c in truth.campaigns}
    assigned: dict[int, list[DetectedCampaign]] = defaultdict(list)
    for campaign in result.campaigns:
        members, targets = set(campaign.members), set(campaign.targets)
        best, overlap = None, 0
        for number, active in truth.active_members.items():
            if not targets & planted_targets.get(number, set()):
                continue
            shared = len(members & active)
            if shared > overlap:
                best, overlap = number, shared
        if best is not None:
            assigned[best].append(campaign)
    return assigned


def evaluate(truth: Truth, result: DetectionResult) -> dict[str, Any]:
    """Every metric of the harness for one detection result."""
    report: dict[str, Any] = {"detector": result.detector, "seconds": result.seconds}
    all_active = set().union(*truth.active_members.values()) if truth.active_members else set()
    predicted_members = {m for c in result.campaigns for m in c.members}
    report["members"] = prf(predicted_members, all_active).as_dict()

    assigned = assign_campaigns(truth, result)
    by_group: dict[str, Any] = {}
    for group in GROUPS:
        numbers = [c["campaign"] for c in truth.campaigns if truth.group(c) == group]
        actual = set().union(*(truth.active_members[n] for n in numbers)) if numbers else set()
        predicted = {m for n in numbers for c in assigned.get(n, []) for m in c.members}
        if not numbers:  # nothing of this kind was planted: no score, rather than a vacuous 1.0
            by_group[group] = {"precision": None, "recall": None, "f1": None, "campaigns": 0}
            continue
        by_group[group] = prf(predicted, actual).as_dict() | {"campaigns": len(numbers)}
    report["members_by_group"] = by_group
    # The same without the brigades that leave no trace: neither found nor missed.
    hidden = [c["campaign"] for c in truth.campaigns if truth.traceless(c)]
    invisible = set().union(*(truth.active_members[n] for n in hidden)) if hidden else set()
    report["members_traced"] = prf(predicted_members - invisible, all_active - invisible).as_dict()
    report["members_traced"]["traceless_brigades"] = len(hidden)

    report["reports"] = prf(_derived_report_ids(truth, result), truth.attack_report_ids).as_dict()

    predicted_targets = {t for c in result.campaigns for t in c.targets}
    viral_called = truth.viral & predicted_targets
    report["targets"] = {
        "brigaded": len(truth.brigaded),
        "brigaded_found": len(truth.brigaded & predicted_targets),
        "viral": len(truth.viral),
        "viral_called_campaign": len(viral_called),
        "viral_false_campaign_rate": round(len(viral_called) / len(truth.viral), 4)
        if truth.viral
        else 0.0,
        "other_targets_called_campaign": len(predicted_targets - truth.brigaded),
        # Target-level truth: a listed target is shielded and its owner told they are a
        # brigade's victim, so every wrong one is a real violator protected or a false notice.
        "listed": len(predicted_targets),
        "precision": round(len(truth.brigaded & predicted_targets) / len(predicted_targets), 4)
        if predicted_targets
        else None,
        "violators_listed": len((truth.violating - truth.brigaded) & predicted_targets),
        "innocent_listed": len(predicted_targets - truth.brigaded - truth.violating),
    }

    if result.report_scores is not None:
        report["report_level"] = report_level(truth, result.report_scores)

    report["campaigns"] = _per_campaign(truth, assigned)
    detect_times = [c for c in report["campaigns"] if c["reports_to_detect"] is not None]
    big = [c for c in detect_times if c["active_members"] >= 50]
    report["time_to_detect"] = {
        "campaigns_timed": len(detect_times),
        "median_reports_50plus": median([c["reports_to_detect"] for c in big]),
        "median_minutes_50plus": median([c["minutes_to_detect"] for c in big]),
        "median_reports_all": median([c["reports_to_detect"] for c in detect_times]),
    }

    baseline = count_ranking(truth)
    if result.queue is not None:
        report["triage"] = {
            "queue": _ranking_scores(result.queue, truth),
            "count_baseline": _ranking_scores(baseline, truth),
        }
    harmed = None
    if result.automated_actions is not None:
        harmed = len(set(result.automated_actions) - truth.violating)
    naive = naive_auto_actions(truth)
    report["harm"] = {
        "innocent_actioned_automatically": harmed,
        "naive_rule_innocent_actioned": len(naive - truth.violating),
        "naive_rule": "20 reports within a 24-hour window",
    }
    return report


def report_level(truth: Truth, scores: list[ReportScore]) -> dict[str, Any]:
    """ROC-AUC and average precision of the per-report scores against the attack reports.

    Every report of the simulation is ranked; one the result does not score counts as 0.
    """
    given = {s.report_id: s for s in scores}
    ids = truth.reports["report_id"].to_list()
    labels = [rid in truth.attack_report_ids for rid in ids]
    out: dict[str, Any] = {"reports": len(ids), "attack_reports": sum(labels)}
    for name in ("score", "stream"):
        values = [(getattr(given[rid], name) or 0.0) if rid in given else 0.0 for rid in ids]
        out[f"{name}_roc_auc"] = round(roc_auc(values, labels), 4)
        out[f"{name}_average_precision"] = round(average_precision(values, labels), 4)
    return out


def _per_campaign(
    truth: Truth, assigned: dict[int, list[DetectedCampaign]]
) -> list[dict[str, Any]]:
    rows = []
    for campaign in truth.campaigns:
        number = campaign["campaign"]
        active = truth.active_members[number]
        found = assigned.get(number, [])
        members = {m for c in found for m in c.members}
        score = prf(members, active)
        times = truth.attack_times.get(number, [])
        # A flag before the first attack report cannot be a detection of this campaign.
        flagged = [
            c.first_flagged_at.astimezone(UTC).timestamp()
            for c in found
            if c.first_flagged_at is not None
            and times
            and c.first_flagged_at.astimezone(UTC).timestamp() >= times[0]
        ]
        reports_to_detect = minutes = None
        if flagged:
            at = min(flagged)
            reports_to_detect = sum(1 for t in times if t <= at)
            minutes = round((at - times[0]) / 60, 1)
        rows.append(
            {
                "campaign": number,
                "group": truth.group(campaign),
                "active_members": len(active),
                "targets": len(campaign["targets"]),
                "found": bool(found),
                "member_precision": round(score.precision, 4),
                "member_recall": round(score.recall, 4),
                "reports_to_detect": reports_to_detect,
                "minutes_to_detect": minutes,
            }
        )
    return rows


def _ranking_scores(ranking: list[str], truth: Truth) -> dict[str, float | int]:
    scores: dict[str, float | int] = {}
    for k in RANK_KS:
        scores[f"p@{k}"] = round(precision_at_k(ranking, truth.violating, k), 4)
        scores[f"ndcg@{k}"] = round(ndcg_at_k(ranking, truth.violating, k), 4)
    scores["brigaded_in_top_50"] = len(set(ranking[:50]) & (truth.brigaded - truth.violating))
    return scores
