"""The ``reportguard`` command line: thin commands over the same functions as the Python API.

Errors a user can fix print as one line and exit non-zero; nothing prints a traceback unless
``REPORTGUARD_DEBUG=1`` asks for one.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from reportguard import __version__
from reportguard.config import Settings
from reportguard.errors import ReportGuardError

app = typer.Typer(
    name="reportguard",
    help="ReportGuard: find coordinated mass-reporting campaigns and triage reports fairly.\n\n"
    "ReportGuard only reads the reports your platform received; it never files reports.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    add_completion=False,
)

# Wider than 80 columns when writing to a file or a CI log, so tables stay readable.
console = Console(width=None if sys.stdout.isatty() else 140)
err_console = Console(stderr=True, soft_wrap=True)


class OutputFormat(StrEnum):
    jsonl = "jsonl"
    parquet = "parquet"


class RecordKind(StrEnum):
    auto = "auto"
    report = "report"
    account = "account"


def _version(value: bool) -> None:
    if value:
        console.print(f"reportguard {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="SQLite file path or database URL (postgresql://...). "
            "Default: $REPORTGUARD_DATABASE_URL, else ./reportguard.db",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    settings = Settings()
    if db is not None:
        settings = settings.model_copy(update={"database_url": db})
    ctx.obj = settings


def _settings(ctx: typer.Context) -> Settings:
    settings = ctx.obj
    assert isinstance(settings, Settings)
    return settings


def _open(ctx: typer.Context):  # type: ignore[no-untyped-def]
    from reportguard.store.engine import create_engine

    return create_engine(_settings(ctx).resolved_database_url())


@app.command()
def ingest(  # noqa: PLR0917 - Typer maps parameters to options
    ctx: typer.Context,
    files: Annotated[
        list[Path],
        typer.Argument(help="Report exports and account snapshots: .jsonl, .csv, .parquet (.gz)."),
    ],
    kind: Annotated[
        RecordKind,
        typer.Option(
            help="What the records are when they carry no record_type field: "
            "auto (by report_id/account_id), report or account.",
        ),
    ] = RecordKind.auto,
    field_map: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="Rename a field of your export to ours, e.g. --map ip_address=ip (repeatable).",
        ),
    ] = None,
    batch_size: Annotated[
        int, typer.Option(min=1, max=100_000, help="Records per database transaction.")
    ] = 20_000,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Import report exports. Idempotent on report_id: re-running a file stores nothing twice.

    Bad records are reported with file, line and field, written to FILE.rejects.jsonl beside
    the input, and counted; good records are kept. Exits 1 if any record was rejected.
    """
    from reportguard.ingest.hashing import IdentifierHasher
    from reportguard.ingest.importer import Importer, IngestSummary

    mapping = _parse_field_map(field_map or [])
    engine = _open(ctx)
    importer = Importer(
        engine,
        IdentifierHasher(_settings(ctx).hashing_key()),
        batch_size=batch_size,
        field_map=mapping,
        kind=kind.value,
    )
    total = IngestSummary(source="all files")
    summaries = []
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        disable=as_json,
    ) as progress:
        for path in files:
            task = progress.add_task(path.name, total=None)

            def update(done: int, size: int, task: TaskID = task) -> None:
                progress.update(task, completed=done, total=size)

            summary = importer.import_file(path, progress=update)
            summaries.append(summary)
            total.add(summary)
    engine.dispose()
    if as_json:
        console.print_json(
            json.dumps({"files": [s.as_dict() for s in summaries], "total": total.as_dict()})
        )
    else:
        _print_ingest_summary(summaries, total)
    if total.rejected:
        raise typer.Exit(code=1)


def _parse_field_map(items: list[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for item in items:
        source, sep, target = item.partition("=")
        if not sep or not source.strip() or not target.strip():
            raise typer.BadParameter(
                f"{item!r}: use FROM=TO, e.g. ip_address=ip", param_hint="--map"
            )
        mapping[source.strip()] = target.strip()
    return mapping


def _print_ingest_summary(summaries: list, total) -> None:  # type: ignore[no-untyped-def,type-arg]
    table = Table(title="Import summary", title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("file", overflow="fold", min_width=12)
    for column in ("records", "accepted", "duplicates", "accounts", "rejected"):
        table.add_column(column, justify="right", no_wrap=True, min_width=len(column))
    rows = [*summaries, total] if len(summaries) > 1 else summaries
    for s in rows:
        table.add_row(
            s.source,
            *(f"{n:,}" for n in (s.records, s.accepted, s.duplicates, s.accounts, s.rejected)),
        )
    console.print(table)
    console.print(
        f"{total.records:,} records in {total.elapsed:.2f} s ({total.rate:,.0f} records/s)"
    )
    for s in summaries:
        if s.ignored_fields:
            fields = ", ".join(f"{k} ({v:,})" for k, v in s.ignored_fields.most_common())
            console.print(
                f"[yellow]{s.source}: fields not in the report contract were not "
                f"stored: {fields}. Rename one with --map FROM=TO if it matters."
            )
        for rejection in s.first_rejections:
            err_console.print(str(rejection), style="red", highlight=False, markup=False)
        if s.rejected > len(s.first_rejections):
            err_console.print(f"... and {s.rejected - len(s.first_rejections):,} more")
        if s.rejects_path:
            err_console.print(f"{s.rejected:,} rejected records written to {s.rejects_path}")


@app.command()
def stats(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Show what the database holds: reports, reporters, targets, accounts, recent imports."""
    from reportguard.stats import database_stats

    engine = _open(ctx)
    data = database_stats(engine)
    engine.dispose()
    if as_json:
        console.print_json(json.dumps(data))
        return
    table = Table(
        title=f"ReportGuard database ({_settings(ctx).database_url})",
        title_justify="left",
        show_header=False,
    )
    table.add_column("what")
    table.add_column("value", justify="right")
    for key in (
        "reports",
        "reporters",
        "targets",
        "contents",
        "accounts",
        "campaigns",
        "cases",
        "decisions",
        "actions",
        "appeals",
        "reports_with_ip_hash",
        "reports_with_device_hash",
    ):
        table.add_row(key.replace("_", " "), f"{data[key]:,}")
    table.add_row("first report", str(data["first_report_at"]))
    table.add_row("last report", str(data["last_report_at"]))
    console.print(table)
    if data["top_reasons"]:
        reasons = Table(title="Reports by reason", title_justify="left")
        reasons.add_column("reason")
        reasons.add_column("reports", justify="right")
        for row in data["top_reasons"]:
            reasons.add_row(row["reason"], f"{row['reports']:,}")
        console.print(reasons)


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
) -> None:
    """Write a synthetic platform with planted campaigns and hard negatives, and its ground truth.

    The files are report *records* for ReportGuard's own tests and demo; nothing is sent anywhere.
    """
    from reportguard.simulate import preset
    from reportguard.simulate import simulate as run
    from reportguard.simulate.overrides import apply_overrides
    from reportguard.simulate.spec import PlatformSpec

    try:
        spec = (
            PlatformSpec.model_validate_json(spec_file.read_text())
            if spec_file
            else preset(preset_name)
        )
    except (OSError, ValueError) as exc:
        raise ReportGuardError(str(exc).splitlines()[0]) from None
    if seed is not None:
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
    console.print(
        f"wrote {summary['reports']:,} reports ({kinds}), {summary['accounts']:,} accounts "
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


class DetectEngine(StrEnum):
    local = "local"
    spark = "spark"


@app.command()
def detect(  # noqa: PLR0917 - Typer maps parameters to options
    ctx: typer.Context,
    since: Annotated[
        str | None, typer.Option(help="Only reports at or after this time (ISO 8601).")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Only reports before this time (ISO 8601).")
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the campaigns (with evidence) as JSON.")
    ] = None,
    store: Annotated[bool, typer.Option(help="Save the campaigns in the database.")] = True,
    show: Annotated[int, typer.Option(help="How many campaigns to print.")] = 20,
    engine_name: Annotated[
        DetectEngine,
        typer.Option(
            "--engine",
            help="local: the stored reports, in this process. spark: a Parquet report log "
            "(--reports), on Apache Spark.",
        ),
    ] = DetectEngine.local,
    reports: Annotated[
        str | None,
        typer.Option(
            help="Spark: the report log (Parquet file or folder, any URI Spark reads; a "
            "simulate --format parquet folder names its accounts too)."
        ),
    ] = None,
    accounts: Annotated[
        str | None, typer.Option(help="Spark: the account snapshots (Parquet).")
    ] = None,
    output: Annotated[
        str | None,
        typer.Option(help="Spark: write campaigns, report scores and signals as Parquet here."),
    ] = None,
    master: Annotated[
        str | None,
        typer.Option(help="Spark master URL (local[4], spark://host:7077, yarn); default local."),
    ] = None,
    spark_conf: Annotated[
        list[str] | None,
        typer.Option("--spark-conf", help="A Spark setting key=value (repeatable)."),
    ] = None,
) -> None:
    """Find coordinated reporting campaigns among the stored reports, and explain each one."""
    from reportguard.detect.report import detection_json, print_campaigns

    if engine_name is DetectEngine.spark:
        _detect_on_spark(
            ctx, reports, accounts, output, master, spark_conf or [], json_out, store, show
        )
        return
    if reports or accounts or output or master or spark_conf:
        raise ReportGuardError(
            "--reports, --accounts, --output, --master and --spark-conf are for --engine spark"
        )
    from reportguard.detect.engine import CampaignEngine
    from reportguard.detect.frame import ReportFrame
    from reportguard.detect.persist import store_campaigns

    engine = _open(ctx)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        task = progress.add_task("reading reports", total=3)
        frame = ReportFrame.from_database(
            engine, since=_epoch_option(since, "--since"), until=_epoch_option(until, "--until")
        )
        progress.update(task, advance=1, description=f"detecting in {len(frame):,} reports")
        detection = CampaignEngine.default().run(frame)
        progress.update(task, advance=1, description="storing campaigns")
        if store:
            store_campaigns(engine, detection.campaigns, policy=_settings(ctx).policy())
        progress.update(task, advance=1)
    engine.dispose()
    print_campaigns(console, detection, limit=show)
    if json_out is not None:
        json_out.write_text(json.dumps(detection_json(detection), indent=1))
        console.print(f"wrote {json_out}")


def _detect_on_spark(  # noqa: PLR0917 - the detect command's Spark options, passed on
    ctx: typer.Context,
    reports: str | None,
    accounts: str | None,
    output: str | None,
    master: str | None,
    conf: list[str],
    json_out: Path | None,
    store: bool,
    show: int,
) -> None:
    """``detect --engine spark``: the same detection over a Parquet log on Apache Spark."""
    from reportguard.detect.persist import store_campaigns
    from reportguard.detect.report import detection_json, print_campaigns
    from reportguard.spark.run import LogLocation, detect_on_spark
    from reportguard.spark.session import parse_conf

    if reports is None:
        raise ReportGuardError("--engine spark reads a Parquet report log: give --reports URI")
    settings = parse_conf(conf)
    with Progress(
        TextColumn("[bold]{task.description}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        task = progress.add_task("starting", total=None)
        detection = detect_on_spark(
            LogLocation.resolve(reports, accounts),
            output=output,
            master=master,
            conf=settings,
            step=lambda message: progress.update(task, description=message),
        )
        if store:
            progress.update(task, description="storing campaigns")
            engine = _open(ctx)
            store_campaigns(engine, detection.campaigns, policy=_settings(ctx).policy())
            engine.dispose()
    print_campaigns(console, detection, limit=show)
    if output is not None:
        console.print(f"wrote campaigns, campaign_reports, report_scores and waves under {output}")
    if json_out is not None:
        json_out.write_text(json.dumps(detection_json(detection), indent=1))
        console.print(f"wrote {json_out}")


def _time_option(value: str, name: str) -> datetime:
    """An ISO 8601 option value as an aware time (UTC when it names no offset)."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not an ISO 8601 time", param_hint=name) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _epoch_option(value: str | None, name: str) -> int | None:
    return None if value is None else int(_time_option(value, name).timestamp())


# Commands from triage on live in their own module; importing it registers them.
from reportguard import cli_api, cli_demo, cli_notices, cli_review  # noqa: E402

__all__ = ["app", "cli_api", "cli_demo", "cli_notices", "cli_review", "main"]


def main() -> None:
    """Entry point: run the app, turning known errors into one line and an exit code."""
    debug = os.environ.get("REPORTGUARD_DEBUG") == "1"
    try:
        app()
    except ReportGuardError as exc:
        err_console.print(f"[red]error:[/red] {exc}", highlight=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("interrupted: committed batches are kept; re-run to finish the import")
        sys.exit(130)
    except Exception as exc:
        if debug:
            raise
        err_console.print(
            f"[red]internal error:[/red] {type(exc).__name__}: {exc}\n"
            "This is a bug in ReportGuard. Run again with REPORTGUARD_DEBUG=1 for the traceback.",
            highlight=False,
        )
        sys.exit(70)


if __name__ == "__main__":  # pragma: no cover
    main()
