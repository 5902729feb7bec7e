"""A case's priority from independent, credible voices, scaled by the severity of the reason.

Why not a count: a hundred reports are a hundred voices only if a hundred independent people
filed them. Reporters of one case who share a detected campaign, a network address or device, or
the same text (after normalising case, punctuation and digits) are one voice. Each voice weighs
what its reporters' credibility says, split into two parts:

- the *earned* part, credibility above the prior, which only upheld reports create; earned
  weight adds up without limit, so a handful of reporters with good records carry a case;
- the *base* part, what everyone has without a record. Established accounts without a record
  are *witnesses*: their base weight adds ``voices_gain * ln(1 + sum / voices_half)``, evidence
  with diminishing returns and no ceiling, so a hundred independent strangers who saw the same
  thing move a case, and each further one moves it less. Voices made only of accounts younger
  than ``new_account_days`` are *fresh*: their base weight together saturates toward
  ``crowd_cap`` (``cap * sum / (sum + crowd_half)``), so no number of new accounts outweighs a
  few credible reporters.

Voices that reached one account together, within ``burst_minutes`` and spread over its posts,
with nothing to explain it (:mod:`reportguard.triage.bursts`), are one event and count as one
witness, however many they are. A campaign's voices are joined already; this is for the bursts
no detector could tell from chance, so that they never outrank as many independent witnesses.

Witnesses count beyond what the target's reach explains. An account seen by many draws stray
reports by chance (disagreement, mistakes, fans of a rival), in proportion to its audience:
with the platform's ``stray_rate`` (open reports per follower) an account with ``followers`` is
expected to draw ``stray_rate * followers`` voices from strangers even when it breaks no rule,
and the witnesses' half point moves up by their base weight. Without follower counts nothing
changes.

Only the earned part may carry automatic action (``proven_priority``): volume never removes
anyone on its own.

Reports of a campaign a moderator confirmed count for nothing; a case with reports from an
active or confirmed campaign is shielded (no automatic action may rest on it).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from reportguard.policy.schema import Policy
from reportguard.reporters.credibility import CredibilityModel
from reportguard.triage.bursts import assign_bursts
from reportguard.triage.calibration import IDENTITY, Calibration

MIN_TEXT = 20  # shorter texts are stock phrases that independent people write alike
LINKS = {
    "ip_hash": "network address",
    "device_hash": "device",
    "text_key": "text",
    "suspect": "burst with signs of coordination (below a campaign's bar)",
}
CASE_COLUMNS = {
    "case": pl.Utf8,
    "priority": pl.Float64,
    "probability": pl.Float64,
    "evidence": pl.Float64,
    "severity": pl.Float64,
    "earned": pl.Float64,
    "witnesses": pl.Float64,
    "fresh": pl.Float64,
    "crowd": pl.Float64,
    "proven_priority": pl.Float64,
    "n_reports": pl.Int64,
    "n_voices": pl.Int64,
    "reason": pl.Utf8,
    "shielded": pl.Boolean,
}


def text_key(text: pl.Expr) -> pl.Expr:
    """The text with case, punctuation, digits and spacing removed; null when too short.

    >>> keys = pl.DataFrame({"t": ["This account is a SCAM!!! 100% fake",
    ...                            "this account is a scam, fake", "spam", None]})
    >>> keys.select(text_key(pl.col("t")))["t"].to_list()
    ['this account is a scam fake', 'this account is a scam fake', None, None]
    """
    key = text.str.to_lowercase().str.replace_all(r"[\W\d_]+", " ").str.strip_chars()
    return pl.when(key.str.len_chars() >= MIN_TEXT).then(key)


def score_cases(
    reports: pl.DataFrame,
    *,
    policy: Policy,
    campaigns: pl.DataFrame | None = None,
    base_rate: float | None = None,
    case_rate: float | None = None,
    stray_rate: float = 0.0,
    calibration: Calibration = IDENTITY,
    explain: bool = False,
) -> tuple[pl.DataFrame, dict[str, dict[str, Any]]]:
    """Priority per case, and (with ``explain``) each case's explanation.

    ``reports`` has case, report_id, reporter_id, reason, text, ip_hash, device_hash,
    credibility and record (from :class:`CredibilityModel`). ``campaigns`` maps report_id to
    campaign_id and status (active, confirmed, dismissed). ``base_rate`` is the platform's share
    of upheld reports (the prior mean when unknown): voices above it raise a case, voices below
    it lower it. ``case_rate`` is the share of decided cases that were violations, where the
    odds of a case start (``triage.case_prior`` when unknown). With a ``target_followers``
    column, ``stray_rate`` (from :func:`stray_rate`) discounts the witnesses an account's
    audience explains. ``calibration`` maps evidence to P(violation) (fitted on decided cases).
    """
    if base_rate is None:
        base_rate = CredibilityModel(policy.credibility).prior_mean
    if case_rate is None:
        case_rate = policy.triage.case_prior
    if reports.is_empty():
        return pl.DataFrame(schema=CASE_COLUMNS), {}
    frame = reports.with_columns(text_key(pl.col("text")).alias("text_key"))
    if "suspect" not in frame.columns:
        frame = frame.with_columns(suspect=pl.lit(None, dtype=pl.Utf8))
    if campaigns is not None and not campaigns.is_empty():
        frame = frame.join(
            campaigns.select("report_id", "campaign_id", "status").unique("report_id"),
            on="report_id",
            how="left",
        )
    else:
        frame = frame.with_columns(
            campaign_id=pl.lit(None, dtype=pl.Int64), status=pl.lit(None, dtype=pl.Utf8)
        )
    shield = frame.group_by("case").agg(
        shielded=pl.col("status").is_in(["active", "confirmed"]).any(),
        campaigns=pl.col("campaign_id")
        .filter(pl.col("status").is_in(["active", "confirmed"]))
        .unique()
        .drop_nulls(),
        excluded=(pl.col("status") == "confirmed").sum(),
        all_reports=pl.len(),
    )
    prior_odds = _logit(min(max(case_rate, 0.001), 0.999))
    counted = frame.filter(pl.col("status").fill_null("") != "confirmed")
    if "target_id" in counted.columns:
        # An account reporting itself is no witness to anything: kept, never a voice.
        counted = counted.filter(pl.col("reporter_id") != pl.col("target_id"))
    counted = _raid_links(
        counted.with_columns(
            pl.when(pl.col("status") == "active").then(pl.col("campaign_id")).alias("campaign_link")
        ),
        frame,
        pad=policy.triage.raid_pad_minutes * 60,
    )
    voices = _voices(counted)
    cases, explained = _combine(
        voices,
        assign_bursts(voices, minutes=policy.triage.burst_minutes),
        policy=policy,
        base_rate=base_rate,
        case_rate=case_rate,
        stray_rate=stray_rate,
        calibration=calibration,
        explain=explain,
    )
    cases = (
        shield.join(cases, on="case", how="left")
        .with_columns(
            pl.col(["earned", "witnesses", "fresh", "crowd"]).fill_null(0.0),
            # A case with no voice left (only self-reports, or only a confirmed campaign's) has
            # nothing for it: it sits at the case prior, below every case a voice raises.
            pl.col(["priority", "evidence"]).fill_null(prior_odds),
            pl.col("probability").fill_null(float(calibration.probability(np.array(prior_odds)))),
            pl.col("proven_priority").fill_null(-math.inf),
            pl.col("severity").fill_null(0.0),
            pl.col(["n_voices"]).fill_null(0),
            n_reports=pl.col("all_reports"),
        )
        .sort(["priority", "case"], descending=[True, False])
    )
    if explain:
        for row in cases.iter_rows(named=True):
            entry = explained.setdefault(row["case"], {"voices": []})
            entry["shielded_by_campaigns"] = sorted(int(c) for c in row["campaigns"])
            entry["excluded_reports"] = int(row["excluded"])
            entry["sentences"] = _sentences(row, entry, policy)
    return cases.select(CASE_COLUMNS.keys()), explained


def _raid_links(counted: pl.DataFrame, frame: pl.DataFrame, *, pad: int) -> pl.DataFrame:
    """Reports filed during a campaign's raid on the same account count with the campaign.

    A raid's window on an account is the span of the campaign's reports there, widened by
    ``pad`` seconds. Someone who reported in that window without any trait of the campaign may be
    an independent witness or a member who left no trace; in the middle of a raid the two cannot
    be told apart, so they are one voice with the campaign (an active one) or one voice among
    themselves (a confirmed one, whose own reports count for nothing). ``in_raid`` marks them.
    """
    if "t" not in frame.columns:
        return counted.with_columns(in_raid=pl.lit(False))
    windows = (
        frame.filter(pl.col("status").is_in(["active", "confirmed"]))
        .group_by("case", "campaign_id", "status")
        .agg(lo=pl.col("t").min() - pad, hi=pl.col("t").max() + pad)
    )
    if windows.is_empty():
        return counted.with_columns(in_raid=pl.lit(False))
    loose = counted.filter(pl.col("campaign_id").is_null()).select("report_id", "case", "t")
    inside = (
        loose.join(windows, on="case")
        .filter(pl.col("t").is_between(pl.col("lo"), pl.col("hi")))
        .sort("campaign_id")
        .unique("report_id", keep="first")
        .select(
            "report_id",
            # the same hub as the active campaign's own reports; a confirmed one's leftovers
            # are joined among themselves (negative id: a hub of their own)
            pl.when(pl.col("status") == "active")
            .then(pl.col("campaign_id"))
            .otherwise(-pl.col("campaign_id"))
            .alias("raid_link"),
        )
    )
    return (
        counted.join(inside, on="report_id", how="left")
        .with_columns(
            pl.coalesce("campaign_link", "raid_link").alias("campaign_link"),
            pl.col("raid_link").is_not_null().alias("in_raid"),
        )
        .drop("raid_link")
    )


def _voices(frame: pl.DataFrame) -> pl.DataFrame:
    """Label every report with its voice: reporters of a case joined by shared links."""
    frame = frame.with_columns(
        node=pl.struct("case", "reporter_id").rank("dense").cast(pl.Int64) - 1
    )
    n_nodes = len(frame.select("case", "reporter_id").unique())
    hubs = []
    for column in (*LINKS, "campaign_link"):
        part = frame.filter(pl.col(column).is_not_null()).select(
            "node",
            hub=pl.concat_str(
                [pl.lit(column), pl.col("case"), pl.col(column).cast(pl.Utf8)], separator="\x1f"
            ),
        )
        hubs.append(part)
    edges = pl.concat(hubs).unique()
    if edges.is_empty():
        labels = np.arange(n_nodes)
    else:
        hub_id = edges["hub"].rank("dense").cast(pl.Int64).to_numpy() - 1 + n_nodes
        rows = edges["node"].to_numpy()
        size = n_nodes + int(hub_id.max()) + 1
        graph = coo_matrix((np.ones(len(rows)), (rows, hub_id)), shape=(size, size))
        _, labels = connected_components(graph, directed=False)
    return frame.with_columns(voice=pl.Series(labels[frame["node"].to_numpy()], dtype=pl.Int64))


def _combine(
    frame: pl.DataFrame,
    bursts: pl.DataFrame,
    *,
    policy: Policy,
    base_rate: float,
    case_rate: float,
    stray_rate: float,
    calibration: Calibration,
    explain: bool,
) -> tuple[pl.DataFrame, dict[str, dict[str, Any]]]:
    cred = policy.credibility
    prior = CredibilityModel(cred).prior_mean
    strength = cred.prior_upheld + cred.prior_rejected
    triage = policy.triage
    cap, half, bound = triage.crowd_cap, triage.crowd_half, triage.max_voice
    gain, voices_half, witness = triage.voices_gain, triage.voices_half, triage.witness
    rate = min(max(base_rate, 0.01), 0.99)
    # Prior odds of the case; each voice's record then moves them by how far it departs from the
    # platform's share of upheld reports (a likelihood ratio, one per independent voice).
    start = _logit(min(max(case_rate, 0.001), 0.999))
    severity = pl.DataFrame(
        {
            "reason": list(policy.reasons),
            "sev": [float(r.severity) for r in policy.reasons.values()],
        }
    )
    other = float(policy.reason("other").severity)
    frame = frame.join(severity, on="reason", how="left").with_columns(
        pl.col("sev").fill_null(other)
    )
    if "new_account" not in frame.columns:
        frame = frame.with_columns(new_account=pl.lit(False))
    if "target_followers" not in frame.columns:
        frame = frame.with_columns(target_followers=pl.lit(None, dtype=pl.Int64))
    # A reporter's credibility in this case: the mean over their reports of it.
    reporters = frame.group_by("case", "voice", "reporter_id").agg(
        cred=pl.col("credibility").mean(),
        calibrated=pl.col("calibrated").mean(),
        record=pl.col("record").first(),
        new=pl.col("new_account").fill_null(False).all(),
    )
    voice = reporters.group_by("case", "voice").agg(
        size=pl.len(),
        cred=pl.col("cred").mean(),
        calibrated=pl.col("calibrated").mean(),
        record=pl.col("record").mean(),
        fresh=pl.col("new").all(),
        reporters=pl.col("reporter_id").sort().head(5),
    )
    # How far a record lets us trust the credibility: none without one, fully with a long one.
    proven = pl.col("record") / (pl.col("record") + strength)
    logit = (pl.col("calibrated") / (1 - pl.col("calibrated"))).log()
    voice = voice.join(bursts, on=["case", "voice"], how="left").with_columns(
        earned=(proven * witness + logit - _logit(rate)).clip(-bound, bound),
        base=(1 - proven) * pl.min_horizontal(pl.col("cred"), pl.lit(prior)),
    )
    # A burst is one witness: the largest base weight among its voices, shared among them.
    event = [pl.col("case"), pl.coalesce("burst", pl.col("voice").cast(pl.Utf8)), pl.col("fresh")]
    voice = voice.with_columns(
        base=pl.col("base").max().over(event) / pl.len().over(event),
        in_burst=pl.len().over(event) > 1,
    )
    base = pl.col("base")
    per_case = voice.group_by("case").agg(
        earned=pl.col("earned").sum(),
        witnesses_raw=base.filter(~pl.col("fresh")).sum(),
        fresh_raw=base.filter(pl.col("fresh")).sum(),
        n_voices=pl.len(),
        burst_voices=pl.col("in_burst").sum(),
        bursts=pl.col("burst").filter(pl.col("in_burst")).n_unique(),
        unproven=(pl.col("record") < 0.5).sum(),
        n_fresh=(pl.col("fresh") & (pl.col("record") < 0.5)).sum(),
    )
    reach = frame.group_by("case").agg(followers=pl.col("target_followers").max())
    per_case = per_case.join(reach, on="case", how="left").with_columns(
        expected=stray_rate * pl.col("followers").fill_null(0).cast(pl.Float64)
    )
    per_case = per_case.with_columns(
        witnesses=gain
        * (pl.col("witnesses_raw") / (voices_half + prior * pl.col("expected"))).log1p(),
        fresh=cap * pl.col("fresh_raw") / (pl.col("fresh_raw") + half),
        crowd_raw=pl.col("witnesses_raw") + pl.col("fresh_raw"),
    ).with_columns(
        crowd=pl.col("witnesses") + pl.col("fresh"),
        evidence=start + pl.col("earned") + pl.col("witnesses") + pl.col("fresh"),
        witness_scale=_scale("witnesses", "witnesses_raw"),
        fresh_scale=_scale("fresh", "fresh_raw"),
    )
    voice = voice.join(
        per_case.select("case", "witness_scale", "fresh_scale"), on="case"
    ).with_columns(
        weight=pl.col("earned")
        + pl.col("base")
        * pl.when(pl.col("fresh")).then(pl.col("fresh_scale")).otherwise(pl.col("witness_scale"))
    )
    # Each voice's weight is shared among its reports; severity follows the positive weight.
    weighted = frame.join(
        voice.select("case", "voice", "weight"), on=["case", "voice"]
    ).with_columns(w=pl.col("weight").clip(lower_bound=0.0) / pl.len().over("case", "voice"))
    by_reason = (
        weighted.group_by("case", "reason")
        .agg(w=pl.col("w").sum(), n=pl.len())
        .sort(["case", "w", "n", "reason"], descending=[False, True, True, False])
    )
    top_reason = by_reason.group_by("case", maintain_order=True).first().select("case", "reason")
    sev = weighted.group_by("case").agg(
        severity=pl.when(pl.col("w").sum() > 0)
        .then((pl.col("w") * pl.col("sev")).sum() / pl.col("w").sum())
        .otherwise(pl.col("sev").mean()),
    )
    cases = (
        per_case.join(sev, on="case")
        .join(top_reason, on="case")
        .with_columns(
            probability=1.0
            / (
                1.0
                + (-(calibration.slope * pl.col("evidence") + calibration.intercept))
                .clip(-50.0, 50.0)
                .exp()
            ),
        )
        # Severity scales the odds: certain cases come first, and of two equally likely
        # violations the graver one.
        .with_columns(
            priority=pl.col("evidence") + pl.col("severity").log(),
            # What automation may rest on: records only, never the number of voices.
            proven_priority=start + pl.col("earned") + pl.col("severity").log(),
        )
    )
    explained: dict[str, dict[str, Any]] = {}
    if explain:
        explained = _explain_voices(frame, voice, cases, rate, cap)
        for entry in explained.values():
            entry["calibration"] = calibration.sentence()
    return cases, explained


def stray_rate(reports: int, followers: int) -> float:
    """Open reports per follower on the whole platform: how many reports reach alone brings.

    ``reports`` counts the open reports, ``followers`` sums every known account's followers.
    Violations are in the numerator too, so this overstates chance a little and discounts
    popular accounts' witnesses a little more than chance alone would.

    >>> stray_rate(1_100, 1_000_000)
    0.0011
    """
    return reports / followers if followers > 0 else 0.0


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def _scale(total: str, raw: str) -> pl.Expr:
    """How much each unit of a group's base weight contributes after diminishing returns."""
    return pl.when(pl.col(raw) > 0).then(pl.col(total) / pl.col(raw)).otherwise(0.0)


def _explain_voices(
    frame: pl.DataFrame, voice: pl.DataFrame, cases: pl.DataFrame, rate: float, cap: float
) -> dict[str, dict[str, Any]]:
    links = frame.group_by("case", "voice").agg(
        n_reports=pl.len(),
        in_raid=pl.col("reporter_id").filter(pl.col("in_raid")).n_unique()
        if "in_raid" in frame.columns
        else pl.lit(0),
    )
    for column in (*LINKS, "campaign_link"):
        shared = (
            frame.filter(pl.col(column).is_not_null())
            .group_by("case", "voice", column)
            .agg(n=pl.col("reporter_id").n_unique())
            .group_by("case", "voice")
            .agg((pl.col("n").max() >= 2).alias(column))
        )
        links = links.join(shared, on=["case", "voice"], how="left").with_columns(
            pl.col(column).fill_null(False)
        )
    voice = voice.join(links, on=["case", "voice"]).sort(
        ["case", "weight"], descending=[False, True]
    )
    out: dict[str, dict[str, Any]] = {}
    for row in cases.iter_rows(named=True):
        out[row["case"]] = {
            "priority": round(row["priority"], 4),
            "evidence": round(row["evidence"], 4),
            "earned": round(row["earned"], 4),
            "witnesses": round(row["witnesses"], 4),
            "fresh": round(row["fresh"], 4),
            "crowd": round(row["crowd"], 4),
            "crowd_raw": round(row["crowd_raw"], 4),
            "unproven_voices": int(row["unproven"]),
            "burst_voices": int(row["burst_voices"]),
            "bursts": int(row["bursts"]),
            "fresh_voices": int(row["n_fresh"]),
            "proven_priority": round(row["proven_priority"], 4),
            "followers": row["followers"],
            "expected_stray_voices": round(row["expected"], 2),
            "crowd_cap": cap,
            "base_rate": round(rate, 4),
            "probability": round(row["probability"], 4),
            "severity": round(row["severity"], 3),
            "reason": row["reason"],
            "voices": [],
        }
    for row in voice.iter_rows(named=True):
        entry = out[row["case"]]
        if len(entry["voices"]) >= 10:
            entry.setdefault("more_voices", 0)
            entry["more_voices"] += 1
            continue
        entry["voices"].append(
            {
                "reporters": row["reporters"],
                "size": row["size"],
                "reports": row["n_reports"],
                "credibility": round(row["cred"], 3),
                "earned": round(row["earned"], 4),
                "weight": round(row["weight"], 4),
                "why": _voice_why(row),
            }
        )
    return out


def _voice_why(row: dict[str, Any]) -> str:
    if row["record"] < 0.05:
        record = "no decided reports yet" + (
            ", accounts younger than the new-account age" if row["fresh"] else ""
        )
    else:
        record = f"a record of {row['record']:.1f} decided reports (decayed)"
    weight = row["weight"]
    if abs(weight) <= 0.005:
        moves = "does not move the case"
    else:
        moves = f"{'raises' if weight > 0 else 'lowers'} the case by {abs(weight):.2f}"
    burst = "; arrived in a burst that counts as one witness" if row.get("in_burst") else ""
    if row["size"] == 1:
        return f"one reporter, credibility {row['cred']:.2f}, {record}{burst}; {moves}"
    joined = [name for column, name in LINKS.items() if row[column]]
    if row["campaign_link"]:
        joined.insert(0, "detected campaign")
    raid = row.get("in_raid") or 0
    during = (
        f" ({raid} of them without a trait of it, but reporting during its raid on this account)"
        if raid
        else ""
    )
    return (
        f"{row['size']} reporters counted as one voice: they share a "
        + ", ".join(joined)
        + during
        + f"; mean credibility {row['cred']:.2f}, {record}{burst}; {moves}"
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _sentences(row: dict[str, Any], entry: dict[str, Any], policy: Policy) -> list[str]:
    sentences = []
    n_voices, n_reports = row["n_voices"], row["n_reports"]
    if n_reports:
        sentences.append(
            f"{_count(n_reports, 'report')} from {_count(n_voices, 'independent voice')}."
        )
    if abs(entry.get("earned", 0)) >= 0.01:
        direction = "raise" if entry["earned"] > 0 else "lower"
        sentences.append(
            f"Reporters' records {direction} the log-odds of a violation by "
            f"{abs(entry['earned']):.2f} (platform base rate {entry['base_rate']:.2f})."
        )
    witnesses = entry.get("unproven_voices", 0) - entry.get("fresh_voices", 0)
    if witnesses > 0:
        sentences.append(
            f"{_count(witnesses, 'established account')} without a record of decided reports "
            f"{'adds' if witnesses == 1 else 'add'} {entry['witnesses']:.2f} as independent "
            "witnesses (each further one adds less)."
        )
    if entry.get("bursts", 0):
        minutes = policy.triage.burst_minutes
        span = f"{minutes / 60:g} hours" if minutes % 60 == 0 else f"{minutes} minutes"
        sentences.append(
            f"{_count(entry['burst_voices'], 'voice')} arrived in "
            f"{_count(entry['bursts'], 'burst')} (within the same {span}, spread over "
            "the account's posts rather than drawn by one post going round); each burst counts "
            "as one witness."
        )
    if entry.get("expected_stray_voices", 0) >= 0.5:
        sentences.append(
            f"With {entry['followers']:,} followers it would draw about "
            f"{entry['expected_stray_voices']:.0f} reports from strangers by chance; witnesses "
            "count beyond that."
        )
    if entry.get("fresh_voices", 0) > 0:
        sentences.append(
            f"{_count(entry['fresh_voices'], 'voice')} of new accounts "
            f"{'adds' if entry['fresh_voices'] == 1 else 'add'} "
            f"{entry['fresh']:.2f} together (never more than {policy.triage.crowd_cap:g})."
        )
    if "probability" in entry:
        how = entry.get("calibration")
        sentences.append(f"P(violation) {entry['probability']:.2f}" + (f", {how}." if how else "."))
    if row["reason"]:
        reason = policy.reason(row["reason"])
        sentences.append(
            f"Most weight rests on '{row['reason']}' ({reason.clause}), severity "
            f"{row['severity']:.1f} of 5."
        )
    if entry["excluded_reports"]:
        sentences.append(
            f"{entry['excluded_reports']} reports from a confirmed campaign count for nothing."
        )
    if row["shielded"]:
        sentences.append(
            "Shielded: reports from a detected campaign "
            f"(#{', #'.join(str(c) for c in entry['shielded_by_campaigns'])}); "
            "no automatic action may rest on them."
        )
    return sentences
