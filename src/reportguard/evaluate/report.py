"""Tables of evaluation results for the terminal."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table


def _f(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def print_table(console: Console, scores: list[dict[str, Any]]) -> None:
    """One row per detector: the headline numbers of the harness."""
    table = Table(title="Detection against ground truth", title_justify="left", box=box.SIMPLE_HEAD)
    columns = [
        ("detector", "left"),
        ("member F1", "right"),
        ("traced", "right"),
        ("sockpuppet", "right"),
        ("real-acct", "right"),
        ("camoufl.", "right"),
        ("report F1", "right"),
        ("brigaded found", "right"),
        ("target prec.", "right"),
        ("violators listed", "right"),
        ("innocents listed", "right"),
        ("viral FP", "right"),
        ("reports to detect", "right"),
        ("seconds", "right"),
    ]
    for name, justify in columns:
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for s in scores:
        groups = s["members_by_group"]
        t = s["targets"]
        table.add_row(
            s["detector"],
            _f(s["members"]["f1"]),
            _f(s["members_traced"]["f1"]),
            _f(groups["sockpuppet"]["f1"]),
            _f(groups["real-account"]["f1"]),
            _f(groups["camouflaged"]["f1"]),
            _f(s["reports"]["f1"]),
            f"{t['brigaded_found']}/{t['brigaded']}",
            _f(t["precision"]),
            str(t["violators_listed"]),
            str(t["innocent_listed"]),
            f"{t['viral_called_campaign']}/{t['viral']}",
            _f(s["time_to_detect"]["median_reports_50plus"], 1),
            _f(s["seconds"], 2),
        )
    console.print(table)
    console.print(
        "member F1: reporters of planted campaigns found, overall and by kind (sockpuppet, "
        "real-account, camouflaged); traced: the same without brigades that leave no trace (real "
        "accounts, own words, no link, own devices, everyone's surfaces, one target), which no "
        "detector can see in reports and triage must bound instead; report F1: campaign "
        "reports found; brigaded found: victims "
        "named by a detected campaign; target prec.: share of the targets campaigns list that "
        "were brigaded; violators / innocents listed: violating (not brigaded) and innocent "
        "unbrigaded targets a campaign lists (each would be shielded and told it was brigaded); "
        "viral FP: viral surges against real violators wrongly "
        "called campaigns; reports to detect: median reports filed before a campaign of 50+ "
        "members was first flagged.",
        style="dim",
    )
    scored = [s for s in scores if "report_level" in s]
    if scored:
        per_report = Table(
            title="Per-report scores against the attack reports",
            title_justify="left",
            box=box.SIMPLE_HEAD,
        )
        for name in (
            "detector",
            "reports",
            "attack",
            "ROC-AUC",
            "AP",
            "stream ROC-AUC",
            "stream AP",
        ):
            per_report.add_column(name, justify="left" if name == "detector" else "right")
        for s in scored:
            r = s["report_level"]
            per_report.add_row(
                s["detector"],
                f"{r['reports']:,}",
                f"{r['attack_reports']:,}",
                _f(r["score_roc_auc"]),
                _f(r["score_average_precision"]),
                _f(r["stream_roc_auc"]),
                _f(r["stream_average_precision"]),
            )
        console.print(per_report)
        console.print(
            "score: the report's campaign evidence, then its rank by its own stream surprise "
            "(MIDAS-R); stream: the stream surprise alone.",
            style="dim",
        )
    triage = [s for s in scores if "triage" in s]
    if triage:
        ranks = Table(
            title="Triage queue vs count-based ranking (truly violating targets)",
            title_justify="left",
            box=box.SIMPLE_HEAD,
        )
        for name in (
            "ranking",
            "p@10",
            "p@50",
            "p@100",
            "ndcg@50",
            "brigaded in top 50",
            "innocent auto-actioned",
        ):
            ranks.add_column(name, justify="left" if name == "ranking" else "right")
        baseline_shown = False
        for s in triage:
            q = s["triage"]["queue"]
            ranks.add_row(
                s["detector"],
                _f(q["p@10"]),
                _f(q["p@50"]),
                _f(q["p@100"]),
                _f(q["ndcg@50"]),
                str(q["brigaded_in_top_50"]),
                _f(s["harm"]["innocent_actioned_automatically"]),
            )
            if not baseline_shown:
                c = s["triage"]["count_baseline"]
                ranks.add_row(
                    "count of reports",
                    _f(c["p@10"]),
                    _f(c["p@50"]),
                    _f(c["p@100"]),
                    _f(c["ndcg@50"]),
                    str(c["brigaded_in_top_50"]),
                    f"{s['harm']['naive_rule_innocent_actioned']} (at 20/24h)",
                )
                baseline_shown = True
        console.print(ranks)


def print_campaigns(console: Console, score: dict[str, Any]) -> None:
    """Each planted campaign: was it found, how completely, how fast."""
    table = Table(
        title=f"Planted campaigns: {score['detector']}", title_justify="left", box=box.SIMPLE_HEAD
    )
    for name in (
        "campaign",
        "group",
        "members",
        "targets",
        "found",
        "precision",
        "recall",
        "reports to detect",
        "minutes",
    ):
        table.add_column(name, justify="left" if name in ("group",) else "right")
    for c in score["campaigns"]:
        table.add_row(
            str(c["campaign"]),
            c["group"],
            str(c["active_members"]),
            str(c["targets"]),
            "yes" if c["found"] else "[red]no[/red]",
            _f(c["member_precision"]),
            _f(c["member_recall"]),
            _f(c["reports_to_detect"]),
            _f(c["minutes_to_detect"], 1),
        )
    console.print(table)


def print_triage(console: Console, runs: list[Any]) -> None:
    """One row per ranking and history: precision and NDCG at k, brigades and viral waves."""
    table = Table(box=box.SIMPLE_HEAD, title="triage queue against the truth (violating targets)")
    keys = [k for k in runs[0].scores["count"] if k not in ("viral_ranks",)]
    for name in ("history", "ranking", "open reports", "cases", *keys, "viral ranks"):
        table.add_column(name, justify="right" if name != "ranking" else "left")
    for run in runs:
        for ranking, scores in run.scores.items():
            table.add_row(
                f"{run.history:.0%}",
                ranking,
                f"{run.open_reports:,}",
                f"{run.cases:,}",
                *(str(scores[k]) for k in keys),
                str(scores["viral_ranks"]),
            )
    console.print(table)
    print_calibration(console, runs)


def print_calibration(console: Console, runs: list[Any]) -> None:
    """Deciles of ReportGuard's P(violation) against the share of cases that really violate."""
    table = Table(
        box=box.SIMPLE_HEAD, title="calibration of P(violation): deciles of the open cases"
    )
    for name in ("history", "decile", "cases", "mean P(violation)", "observed share", "gap"):
        table.add_column(name, justify="right")
    for run in runs:
        for i, row in enumerate(run.calibration):
            table.add_row(
                f"{run.history:.0%}",
                str(i + 1),
                f"{row['cases']:,.0f}",
                f"{row['predicted']:.3f}",
                f"{row['observed']:.3f}",
                f"{row['predicted'] - row['observed']:+.3f}",
            )
        table.add_row(
            f"{run.history:.0%}",
            "Brier",
            "",
            f"{run.brier:.4f}",
            "",
            f"worst {run.worst_gap():.3f}",
        )
        if run.fitted_calibration:
            table.add_row(
                f"{run.history:.0%}",
                "refitted",
                "",
                f"{run.fitted_brier:.4f}",
                "",
                f"worst {run.worst_gap(fitted=True):.3f}",
            )
    console.print(table)
    console.print(
        "refitted: P(violation) refitted on a random half of the cases as the product does once "
        "they are decided (Platt; isotonic steps from 200 decided cases), scored on the other "
        "half."
    )


def print_disputes(console: Console, run: Any) -> None:
    """Pairs found, cases routed to the dispute queue, and what left the violation queue."""
    table = Table(box=box.SIMPLE_HEAD, title="dispute routing against the truth")
    for name in ("measure", "precision", "recall", "F1", "found / planted"):
        table.add_column(name, justify="left" if name == "measure" else "right")
    pairs, cases = run.pairs, run.cases
    table.add_row(
        "quarrelling pairs found",
        f"{pairs['precision']:.3f}",
        f"{pairs['recall']:.3f}",
        f"{pairs['f1']:.3f}",
        f"{pairs['found']} / {pairs['planted']}",
    )
    table.add_row(
        "cases routed to the dispute queue",
        f"{cases['precision']:.3f}",
        f"{cases['recall']:.3f}",
        f"{cases['f1']:.3f}",
        f"{cases['routed']} / {cases['true_dispute_cases']}",
    )
    console.print(table)
    queue = run.violation_queue
    console.print(
        f"Violating accounts routed to the dispute queue: {cases['violating_accounts_routed']}. "
        f"Reports in the violation queue: {queue['reports_before']:,} before routing, "
        f"{queue['reports_after']:,} after; {queue['dispute_reports_still_in_violation_queue']} "
        f"of the {queue['dispute_reports']} dispute reports stay there because other people "
        "reported the same account too, or its reason is graver than the policy's "
        "disputes.max_severity."
    )
