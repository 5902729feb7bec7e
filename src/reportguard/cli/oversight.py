"""``reportguard stats``, ``audit verify`` and ``export transparency``: what the database
holds, whether its audit log is intact, and the figures for regulators."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from reportguard.cli.common import console, err_console, open_db, settings_of, time_option

app = typer.Typer()
audit_app = typer.Typer(
    name="audit", help="Verify the hash-chained audit log.", no_args_is_help=True
)
export_app = typer.Typer(
    name="export", help="Export figures for reports and regulators.", no_args_is_help=True
)
app.add_typer(audit_app)
app.add_typer(export_app)


@app.command()
def stats(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Show what the database holds: reports, reporters, targets, accounts, recent imports."""
    from reportguard.oversight.stats import database_stats

    engine = open_db(ctx)
    data = database_stats(engine)
    engine.dispose()
    if as_json:
        console.print_json(json.dumps(data))
        return
    table = Table(
        title=f"ReportGuard database ({settings_of(ctx).database_url})",
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


@audit_app.command("verify")
def audit_verify(ctx: typer.Context) -> None:
    """Recompute the audit log's hash chain; exit 1 if any entry was altered or removed."""
    from reportguard.store import audit

    engine = open_db(ctx)
    result = audit.verify(engine)
    engine.dispose()
    if result.ok:
        console.print(f"audit log intact: {result.entries:,} entries, head {result.head}")
        return
    for problem in result.problems:
        err_console.print(f"[red]tampered:[/red] {problem}", highlight=False)
    raise typer.Exit(1)


@export_app.command("transparency")
def export_transparency(
    ctx: typer.Context,
    start: Annotated[str, typer.Option("--from", help="Start of the period (ISO 8601).")],
    end: Annotated[str, typer.Option("--to", help="End of the period, exclusive (ISO 8601).")],
    out: Annotated[Path, typer.Option(help="Folder for transparency.json and .csv.")] = Path("."),
) -> None:
    """Counts for a transparency report: reports, decisions, actions, appeals, misuse."""
    from reportguard.oversight import transparency

    first, last = time_option(start, "--from"), time_option(end, "--to")
    if last <= first:
        raise typer.BadParameter("--to must be after --from", param_hint="--to")
    engine = open_db(ctx)
    data = transparency.figures(engine, start=first, end=last)
    engine.dispose()
    json_path, csv_path = transparency.write(data, out)
    console.print(
        f"{data['reports_total']:,} reports, {sum(data['decisions_by_outcome'].values()):,} "
        f"decisions, {sum(data['actions_by_type'].values()):,} actions; wrote {json_path} and "
        f"{csv_path}"
    )


@export_app.command("statements")
def export_statements(  # noqa: PLR0917 - Typer maps parameters to options
    ctx: typer.Context,
    start: Annotated[str, typer.Option("--from", help="Start of the period (ISO 8601).")],
    end: Annotated[str, typer.Option("--to", help="End of the period, exclusive (ISO 8601).")],
    out: Annotated[
        Path, typer.Option(help="The JSON Lines file to write, a statement a line.")
    ] = Path("statements.jsonl"),
    submit: Annotated[
        str | None,
        typer.Option(
            "--submit",
            metavar="URL",
            help="Also send them to this DSA Transparency Database endpoint (its "
            "/api/v1/statements), 100 a call, with the token in REPORTGUARD_DSA_TOKEN or "
            "REPORTGUARD_DSA_TOKEN_FILE; each statement once, however often it is run.",
        ),
    ] = None,
    batch_size: Annotated[
        int, typer.Option(min=1, max=100, help="Statements per call to --submit.")
    ] = 100,
    retries: Annotated[
        int, typer.Option(min=0, max=20, help="Tries again after 429, 5xx or no answer.")
    ] = 5,
) -> None:
    """Statements of reasons in the DSA Transparency Database's submission format.

    One for every restriction carried out in the period (a warning restricts nothing, so it has
    none), each checked against the database's rules before it is written; with --submit, sent
    in batches, each accepted one recorded by puid and in the audit log.
    """
    from reportguard.oversight.dsa import statements, write_statements

    first, last = time_option(start, "--from"), time_option(end, "--to")
    if last <= first:
        raise typer.BadParameter("--to must be after --from", param_hint="--to")
    settings = settings_of(ctx)
    token = settings.dsa_submission_token() if submit else None
    engine = open_db(ctx)
    found = statements(engine, policy=settings.policy(), start=first, end=last)
    write_statements(found, out)
    console.print(
        f"{len(found.statements):,} statements of reasons, each valid for the DSA Transparency "
        f"Database, written to {out}"
        + (
            f" ({found.warnings:,} warnings restrict nothing and have none)"
            if found.warnings
            else ""
        )
    )
    if submit is None:
        engine.dispose()
        return
    from reportguard.oversight.dsa_submit import submit_statements

    assert token is not None
    try:
        sent = submit_statements(
            engine,
            found.statements,
            endpoint=submit,
            token=token,
            batch_size=batch_size,
            retries=retries,
        )
    finally:
        engine.dispose()
    console.print(
        f"Submitted to {submit}: {sent.created:,} accepted now, {sent.already_there:,} the "
        f"database already held, {sent.skipped:,} accepted in earlier runs; {sent.calls:,} "
        f"calls, {sent.retries:,} retries. Each accepted batch is in the audit log."
    )
