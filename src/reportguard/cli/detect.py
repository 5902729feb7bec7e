"""``reportguard detect``: campaigns among the stored reports (or a Parquet log on Spark)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from reportguard.cli.common import console, epoch_option, err_console, open_db, settings_of
from reportguard.errors import ReportGuardError

app = typer.Typer()


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
            help="A report log to read instead of the database: a Parquet or JSON Lines file or "
            "folder (local), or any URI Spark reads (spark); a simulate folder names its "
            "accounts too."
        ),
    ] = None,
    accounts: Annotated[
        str | None, typer.Option(help="The log's account snapshots (Parquet or JSON Lines).")
    ] = None,
    output: Annotated[
        str | None,
        typer.Option(help="Write campaigns, their reports and report scores as Parquet here."),
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
    from reportguard.detect.persist import campaign_numbers
    from reportguard.detect.summary import print_campaigns, write_detection_json

    if engine_name is DetectEngine.spark:
        _detect_on_spark(
            ctx, reports, accounts, output, master, spark_conf or [], json_out, store, show
        )
        return
    if master or spark_conf:
        raise ReportGuardError("--master and --spark-conf are for --engine spark")
    if reports is not None:
        _detect_log(ctx, Path(reports), accounts, output, json_out, store, show)
        return
    if accounts or output:
        raise ReportGuardError("--accounts and --output go with --reports (a report log)")
    from reportguard.pipeline import batch

    window = epoch_option(since, "--since"), epoch_option(until, "--until")
    engine = open_db(ctx)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        steps = ("reading", "detecting", "scoring", "storing")
        task = progress.add_task("reading reports", total=len(steps))

        def step(what: str) -> None:
            done = steps.index(what.split(maxsplit=1)[0])
            progress.update(task, completed=done, description=what)

        detection = batch.detect(
            engine,
            policy=settings_of(ctx).policy(),
            since=window[0],
            until=window[1],
            store=store,
            step=step,
        )
        progress.update(task, completed=len(steps))
    numbers = campaign_numbers(engine, [c.key for c in detection.campaigns]) if store else {}
    engine.dispose()
    print_campaigns(console, detection, limit=show, numbers=numbers)
    if json_out is not None:
        write_detection_json(detection, json_out)
        console.print(f"wrote {json_out}")


def _detect_log(  # noqa: PLR0917 - the detect command's log options, passed on
    ctx: typer.Context,
    reports: Path,
    accounts: str | None,
    output: str | None,
    json_out: Path | None,
    store: bool,
    show: int,
) -> None:
    """``detect --reports PATH``: the in-process engine straight on a report log."""
    from reportguard.pipeline.batch import detect_log

    with _spinner() as step:
        detection = detect_log(
            reports,
            accounts=Path(accounts) if accounts else None,
            output=Path(output) if output else None,
            step=step,
        )
    _report_log_detection(ctx, detection, store=store, show=show, json_out=json_out)
    if output is not None:
        console.print(f"wrote campaigns, campaign_reports and report_scores under {output}")


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
    from reportguard.spark.run import LogLocation, detect_on_spark
    from reportguard.spark.session import parse_conf

    if reports is None:
        raise ReportGuardError("--engine spark reads a Parquet report log: give --reports URI")
    settings = parse_conf(conf)
    with _spinner() as step:
        detection = detect_on_spark(
            LogLocation.resolve(reports, accounts),
            output=output,
            master=master,
            conf=settings,
            step=step,
        )
    _report_log_detection(ctx, detection, store=store, show=show, json_out=json_out)
    if output is not None:
        console.print(f"wrote campaigns, campaign_reports, report_scores and waves under {output}")


@contextmanager
def _spinner() -> Iterator[Callable[[str], None]]:
    """A spinner on stderr that shows the step a log's detection is at (steps have no count)."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        task = progress.add_task("starting", total=None)
        yield lambda message: progress.update(task, description=message)


def _report_log_detection(
    ctx: typer.Context, detection: Any, *, store: bool, show: int, json_out: Path | None
) -> None:
    """Store (with ``store``) and print what detection found in a log, and write its JSON."""
    from reportguard.detect.persist import campaign_numbers, store_campaigns
    from reportguard.detect.summary import print_campaigns, write_detection_json

    numbers: dict[str, int] = {}
    if store:
        engine = open_db(ctx, create=True)  # a log's campaigns may start a database
        store_campaigns(engine, detection.campaigns, policy=settings_of(ctx).policy())
        numbers = campaign_numbers(engine, [c.key for c in detection.campaigns])
        engine.dispose()
    print_campaigns(console, detection, limit=show, numbers=numbers)
    if json_out is not None:
        write_detection_json(detection, json_out)
        console.print(f"wrote {json_out}")
