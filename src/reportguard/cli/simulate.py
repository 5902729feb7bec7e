"""``reportguard simulate`` and ``evaluate``: a synthetic platform with ground truth, and
scoring against it."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from reportguard.cli.common import console, err_console
from reportguard.errors import ReportGuardError

app = typer.Typer()


class OutputFormat(StrEnum):
    jsonl = "jsonl"
    parquet = "parquet"


@app.command()
def simulate(  # noqa: PLR0917 - Typer maps parameters to options
    out: Annotated[
        Path, typer.Option(help="Folder to write reports, accounts and truth into.")
    ] = Path("sim"),
    preset_name: Annotated[
        str,
        typer.Option(
            "--preset", help="small (~50k reports), medium (~1M), large (~10M), adversarial."
        ),
    ] = "small",
    seed: Annotated[int | None, typer.Option(help="Random seed (default: the preset's).")] = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="File format of the output.")
    ] = None,  # type: ignore[assignment]
    spec_file: Annotated[
        Path | None, typer.Option("--spec", help="A JSON platform spec instead of a preset.")
    ] = None,
    overrides: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="Change one field, e.g. --set days=10 --set campaigns.0.reporters=500."
        ),
    ] = None,
    randomize: Annotated[
        bool,
        typer.Option(
            "--randomize",
            help="Sample the platform and its attacks from wide ranges, from --seed (default 0).",
        ),
    ] = False,
) -> None:
    """Write a synthetic platform with planted campaigns and hard negatives, and its ground truth.

    The files are report *records* for ReportGuard's own tests and demo; nothing is sent anywhere.
    """
    from reportguard.simulate import preset, random_spec
    from reportguard.simulate import simulate as run
    from reportguard.simulate.overrides import apply_overrides
    from reportguard.simulate.spec import PlatformSpec

    if randomize and spec_file is not None:
        raise ReportGuardError("--randomize samples its own spec: give --randomize or --spec")
    try:
        if randomize:
            spec = random_spec(seed or 0)
        elif spec_file:
            spec = PlatformSpec.model_validate_json(spec_file.read_text())
        else:
            spec = preset(preset_name)
    except (OSError, ValueError) as exc:
        raise ReportGuardError(str(exc).splitlines()[0]) from None
    if seed is not None and not randomize:
        spec = spec.model_copy(update={"seed": seed})
    spec = apply_overrides(spec, overrides or [])
    with Progress(
        TextColumn("[bold]simulating"),
        BarColumn(),
        TextColumn("day {task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        task = progress.add_task("days", total=spec.days)
        summary = run(
            spec,
            out,
            fmt=(fmt or OutputFormat.jsonl).value,
            progress=lambda d, _t: progress.update(task, completed=d),
        )
    labels = summary["labels"]
    assert isinstance(labels, dict)
    kinds = ", ".join(f"{k} {v:,}" for k, v in labels.items())
    world = f"randomized world {spec.seed}: " if randomize else ""
    console.print(
        f"{world}wrote {summary['reports']:,} reports ({kinds}), {summary['accounts']:,} accounts "
        f"and {summary['campaigns']} planted campaigns to {out}/"
    )


@app.command()
def evaluate(  # noqa: PLR0917 - Typer maps parameters to options
    truth_dir: Annotated[Path, typer.Argument(help="A folder written by `reportguard simulate`.")],
    results: Annotated[
        list[Path] | None, typer.Option("--result", help="A detection result JSON (repeatable).")
    ] = None,
    baseline: Annotated[
        bool, typer.Option(help="Add the naive report-count threshold as a reference row.")
    ] = True,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write everything as JSON.")
    ] = None,
    per_campaign: Annotated[
        bool, typer.Option("--campaigns", help="Show each planted campaign.")
    ] = False,
    triage: Annotated[
        bool,
        typer.Option(
            "--triage", help="Rank the queue by priority and by count; score both on the truth."
        ),
    ] = False,
    history: Annotated[
        float,
        typer.Option(min=0.0, max=0.95, help="With --triage: share of the time span decided."),
    ] = 0.5,
    disputes: Annotated[
        bool,
        typer.Option(
            "--disputes", help="Score how quarrels are routed to the dispute queue instead."
        ),
    ] = False,
) -> None:
    """Score detection results against the ground truth of a simulated platform."""
    if disputes:
        from reportguard.evaluate.disputes import evaluate_disputes
        from reportguard.evaluate.report import print_disputes

        run = evaluate_disputes(truth_dir)
        print_disputes(console, run)
        if json_out is not None:
            json_out.write_text(json.dumps(vars(run), indent=1))
            console.print(f"wrote {json_out}")
        return
    if triage:
        from reportguard.evaluate.report import print_triage
        from reportguard.evaluate.triage import evaluate_triage

        runs = [evaluate_triage(truth_dir, history=h) for h in sorted({0.0, history})]
        print_triage(console, runs)
        if json_out is not None:
            json_out.write_text(json.dumps([vars(r) for r in runs], indent=1, default=str))
            console.print(f"wrote {json_out}")
        return
    from reportguard.evaluate.baselines import burst_threshold
    from reportguard.evaluate.harness import DetectionResult, Truth
    from reportguard.evaluate.harness import evaluate as score
    from reportguard.evaluate.report import print_campaigns, print_table

    truth = Truth(truth_dir)
    detections = [DetectionResult.load(p) for p in results or []]
    if baseline:
        detections.append(burst_threshold(truth))
    if not detections:
        raise ReportGuardError("nothing to evaluate: give --result FILE (or keep --baseline)")
    scores = [score(truth, d) for d in detections]
    print_table(console, scores)
    if per_campaign:
        for s in scores:
            print_campaigns(console, s)
    if json_out is not None:
        json_out.write_text(json.dumps(scores, indent=1, default=str))
        console.print(f"wrote {json_out}")
