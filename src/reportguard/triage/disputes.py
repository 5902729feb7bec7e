"""Disputes: two accounts that report each other are quarrelling, not (usually) breaking rules.

A reports B and B reports A back within a window, or the two keep doing it: blocking, muting or
restricting comments serves them better than enforcement, so such a case goes to the dispute
queue with the history of both sides. Two guards keep real violations where they belong: a case
stays in the violation queue when anyone outside the quarrel reported the account too, or when
its reason is graver than the policy's ``disputes.max_severity`` (threats, hate speech, scams).

The same two functions serve the live queue (``refresh_cases``) and the evaluation on a
simulated platform.
"""

from __future__ import annotations

import polars as pl

from reportguard.policy import Policy

DAY = 86400


def mutual_partners(reports: pl.DataFrame, *, window_s: float) -> pl.DataFrame:
    """Directed pairs (reporter_id, target_id) where the target reported the reporter back within
    ``window_s`` seconds of one of the reporter's reports, with how many reports went both ways.

    ``reports`` has reporter_id, target_id and t (epoch seconds). Only reports between the two
    accounts matter, so the input may be just those (the database query fetches no more).

    >>> r = pl.DataFrame({"reporter_id": ["a", "b", "c"], "target_id": ["b", "a", "a"],
    ...                   "t": [0, 3600, 0]})
    >>> mutual_partners(r, window_s=86400).sort("reporter_id").rows()
    [('a', 'b', 2), ('b', 'a', 2)]
    """
    there = reports.select("reporter_id", "target_id", "t")
    back = there.select(
        pl.col("target_id").alias("reporter_id"),
        pl.col("reporter_id").alias("target_id"),
        pl.col("t").alias("t_back"),
    )
    close = there.join(back, on=["reporter_id", "target_id"]).filter(
        (pl.col("t") - pl.col("t_back")).abs() <= window_s
    )
    pairs = close.select("reporter_id", "target_id").unique()
    both_ways = (
        there.join(pairs, on=["reporter_id", "target_id"])
        .group_by("reporter_id", "target_id")
        .agg(one_way=pl.len())
    )
    return (
        both_ways.join(
            both_ways.select(
                pl.col("target_id").alias("reporter_id"),
                pl.col("reporter_id").alias("target_id"),
                pl.col("one_way").alias("other_way"),
            ),
            on=["reporter_id", "target_id"],
        )
        .select("reporter_id", "target_id", reports=pl.col("one_way") + pl.col("other_way"))
        .sort("reporter_id", "target_id")
    )


def route_disputes(
    case_reports: pl.DataFrame, partners: pl.DataFrame, *, reasons: pl.DataFrame, policy: Policy
) -> pl.DataFrame:
    """Which cases are disputes: (case, dispute, partners, reports_both_ways).

    ``case_reports`` has case, target_id and reporter_id; ``reasons`` has case and reason (the
    reason the case's weight rests on). A case is a dispute when every one of its reporters is
    the target's quarrel partner and its reason is no graver than ``disputes.max_severity``.
    """
    severity = pl.DataFrame(
        {
            "reason": list(policy.reasons),
            "sev": [r.severity for r in policy.reasons.values()],
        },
        schema={"reason": pl.Utf8, "sev": pl.Int64},
    )
    other = policy.reason("other").severity
    linked = (
        case_reports.select("case", "target_id", "reporter_id")
        .unique()
        .join(
            partners.select(
                pl.col("reporter_id"),
                pl.col("target_id"),
                pl.col("reports").alias("both_ways"),
            ),
            on=["reporter_id", "target_id"],
            how="left",
        )
    )
    per_case = linked.group_by("case").agg(
        reporters=pl.len(),
        partnered=pl.col("both_ways").is_not_null().sum(),
        partners=pl.col("reporter_id").filter(pl.col("both_ways").is_not_null()).sort(),
        reports_both_ways=pl.col("both_ways").sum(),
    )
    return (
        per_case.join(reasons.select("case", "reason"), on="case", how="left")
        .join(severity, on="reason", how="left")
        .with_columns(pl.col("sev").fill_null(other))
        .with_columns(
            dispute=(pl.col("partnered") == pl.col("reporters"))
            & (pl.col("sev") <= policy.disputes.max_severity)
        )
        .select("case", "dispute", "partners", "reports_both_ways")
    )


def dispute_sentence(partners: list[str], target: str, both_ways: int, window_days: float) -> str:
    """Why a case is in the dispute queue, in words."""
    who = ", ".join(partners[:3]) + (f" and {len(partners) - 3} more" if len(partners) > 3 else "")
    return (
        f"Dispute: {target} and {who} report each other ({both_ways} reports both ways, "
        f"within {window_days:g} days of each other); blocking, muting or restricting may serve "
        "them better than enforcement."
    )
