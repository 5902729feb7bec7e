"""``reportguard ingest``: report exports and account snapshots into the database."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich import box
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

from reportguard.cli.common import console, err_console, open_db, settings_of

app = typer.Typer()


class RecordKind(StrEnum):
    auto = "auto"
    report = "report"
    account = "account"
    content = "content"


class InputFormat(StrEnum):
    """The shape of the records: ReportGuard's own contract, or a platform's export."""

    contract = "contract"
    mastodon = "mastodon"
    activitypub = "activitypub"
    atproto = "atproto"
    discourse = "discourse"


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
            "auto (by report_id/content_id/account_id), report, account or content.",
        ),
    ] = RecordKind.auto,
    input_format: Annotated[
        InputFormat,
        typer.Option(
            "--format",
            help="The records' shape: contract (ReportGuard's own), or a platform's export: "
            "mastodon (admin reports API), activitypub (Flag activities), atproto "
            "(createReport), discourse (flags). See docs/integrate.md.",
        ),
    ] = InputFormat.contract,
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
    from reportguard.ingest.importer import IngestSummary
    from reportguard.pipeline.imports import import_files, read_outcomes

    mapping = _parse_field_map(field_map or [])
    adapter = None
    if input_format != InputFormat.contract:
        from reportguard.ingest.formats import adapter as format_adapter

        if mapping:
            raise typer.BadParameter(
                "--map renames the columns of contract records; a platform format names its "
                "own fields (its mapping table is in the policy file)",
                param_hint="--map",
            )
        adapter = format_adapter(input_format.value, settings_of(ctx).policy())
    engine = open_db(ctx, create=True)
    total = IngestSummary(source="all files")
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
        tasks: dict[Path, TaskID] = {}

        def update(path: Path, done: int, size: int) -> None:
            if path not in tasks:
                tasks[path] = progress.add_task(path.name, total=None)
            progress.update(tasks[path], completed=done, total=size)

        summaries = import_files(
            engine,
            files,
            hasher=IdentifierHasher(settings_of(ctx).hashing_key()),
            progress=update,
            batch_size=batch_size,
            field_map=mapping,
            kind=kind.value,
            bounds=settings_of(ctx).time_bounds(),
            adapter=adapter,
        )
    for summary in summaries:
        total.add(summary)
    history = read_outcomes(engine, policy=settings_of(ctx).policy())
    engine.dispose()
    if as_json:
        console.print_json(
            json.dumps(
                {
                    "files": [s.as_dict() for s in summaries],
                    "total": total.as_dict(),
                    "history": history.as_dict(),
                }
            )
        )
    else:
        _print_ingest_summary(summaries, total)
        if history.read:
            console.print(_history_sentence(history))
    if any(s.unread for s in summaries):
        raise typer.Exit(code=2)
    if total.rejected:
        raise typer.Exit(code=1)


def _print_unread(s) -> None:  # type: ignore[no-untyped-def]
    """A file read only part way: where it stopped, and what became of what was read."""
    err_console.print(
        f"error: {s.unread}. The {s.records:,} records before that point were read: "
        f"{s.accepted:,} stored now, {s.duplicates:,} already stored, {s.rejected:,} rejected; "
        "nothing after it was read. Repair or export the file again and import it again: "
        "reports already stored are skipped.",
        style="red",
        highlight=False,
        markup=False,
    )


def _print_rejections(s) -> None:  # type: ignore[no-untyped-def]
    """The first rejections of one file, and where the rest are."""
    for rejection in s.first_rejections:
        err_console.print(str(rejection), style="red", highlight=False, markup=False)
    if s.rejected > len(s.first_rejections):
        err_console.print(f"... and {s.rejected - len(s.first_rejections):,} more")
    if s.rejects_path:
        err_console.print(f"{s.rejected:,} rejected records written to {s.rejects_path}")


def _history_sentence(h) -> str:  # type: ignore[no-untyped-def]
    """What reading the platform's own past decisions did, in one paragraph."""
    text = (
        f"History: {h.read:,} outcomes read, {h.counted:,} counted toward the records of "
        f"{h.reporters:,} reporters"
    )
    if h.late:
        text += (
            f"; {h.late:,} not counted, filed after the same ruling on their target was known"
            " (kept with their outcome)"
        )
    if h.judged_here:
        text += f"; {h.judged_here:,} already judged by a ReportGuard decision, which stands"
    return (
        text
        + f". {h.targets:,} targets carry an imported ruling; reports with an outcome open no case."
    )


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
    columns = ["records", "accepted", "duplicates", "accounts", "rejected"]
    if total.contents:
        columns.insert(4, "contents")
    for column in columns:
        table.add_column(column, justify="right", no_wrap=True, min_width=len(column))
    rows = [*summaries, total] if len(summaries) > 1 else summaries
    for s in rows:
        table.add_row(s.source, *(f"{getattr(s, c):,}" for c in columns))
    console.print(table)
    console.print(
        f"{total.records:,} records in {total.elapsed:.2f} s ({total.rate:,.0f} records/s)"
    )
    for s in summaries:
        if not s.records:
            console.print(f"[yellow]{s.source}: no records in this file; nothing was imported.")
        if s.conflicts:
            console.print(
                f"[red]{s.source}: {s.conflicts:,} of the rejected records reuse a stored "
                "report_id for another reporter, target, content or time: the stored reports are "
                "kept; each is named in the rejects file."
            )
        if s.self_reports:
            console.print(
                f"[yellow]{s.source}: {s.self_reports:,} self-reports (reporter and target are "
                "the same account): stored, never counted as a voice."
            )
        if s.ignored_fields:
            fields = ", ".join(f"{k} ({v:,})" for k, v in s.ignored_fields.most_common())
            console.print(
                f"[yellow]{s.source}: fields not in the report contract were not "
                f"stored: {fields}. Rename one with --map FROM=TO if it matters."
            )
        _print_rejections(s)
        if s.unread:
            _print_unread(s)


@app.command()
def outcomes(
    ctx: typer.Context,
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Outcome records (report_id, outcome, resolved_at): .jsonl, .csv, .parquet (.gz)."
        ),
    ],
    field_map: Annotated[
        list[str] | None,
        typer.Option(
            "--map", help="Rename a field of your export to ours, e.g. --map decision=outcome."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Import what the platform decided about reports already stored (its history).

    An outcome is upheld, rejected or unfounded. Each one is stored on its report and read into
    the reporter's credibility, if the report was filed before the same ruling on its target was
    known. A different outcome for a report that has one is a conflict: named, the stored one
    kept. Exits 1 if any record was rejected; re-running a file changes nothing.
    """
    from reportguard.ingest.outcomes import import_outcome_file
    from reportguard.pipeline.imports import read_outcomes

    mapping = _parse_field_map(field_map or [])
    engine = open_db(ctx)
    summaries = []
    with err_console.status("storing outcomes", spinner="dots") as status:
        for path in files:
            status.update(f"storing outcomes from {path.name}")
            summaries.append(
                import_outcome_file(
                    engine, path, field_map=mapping, bounds=settings_of(ctx).time_bounds()
                )
            )
        status.update("reading outcomes into credibility")
        history = read_outcomes(engine, policy=settings_of(ctx).policy())
    engine.dispose()
    rejected = sum(s.rejected for s in summaries)
    if as_json:
        console.print_json(
            json.dumps({"files": [s.as_dict() for s in summaries], "history": history.as_dict()})
        )
    else:
        table = Table(title="Outcomes", title_justify="left", box=box.SIMPLE_HEAD)
        table.add_column("file", overflow="fold", min_width=12)
        for column in ("records", "stored", "duplicates", "rejected"):
            table.add_column(column, justify="right", no_wrap=True, min_width=len(column))
        for s in summaries:
            table.add_row(s.source, *(f"{n:,}" for n in (s.records, s.stored, s.duplicates,
                                                         s.rejected)))  # fmt: skip
        console.print(table)
        console.print(_history_sentence(history))
        for s in summaries:
            _print_rejections(s)
    if rejected:
        raise typer.Exit(code=1)
