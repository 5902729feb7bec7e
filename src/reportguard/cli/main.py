"""The ``reportguard`` command line: thin commands over the same functions as the Python API.

Each command group lives in its own module with its own ``typer.Typer``; only this root adds
them. Errors a user can fix print as one line and exit non-zero; nothing prints a traceback
unless ``REPORTGUARD_DEBUG=1`` asks for one.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from reportguard import __version__
from reportguard.cli import (
    campaigns,
    demo,
    detect,
    ingest,
    keys,
    notices,
    oversight,
    policy,
    review,
    serve,
    simulate,
    webhooks,
)
from reportguard.cli.common import console, err_console
from reportguard.config import Settings
from reportguard.errors import ReportGuardError

# In the order `reportguard --help` lists them: the flow first, then the tools around it.
COMMAND_GROUPS = (
    demo, ingest, oversight, simulate, detect, review, campaigns, policy, webhooks, serve, keys,
    notices,
)  # fmt: skip


def _version(value: bool) -> None:
    if value:
        console.print(f"reportguard {__version__}")
        raise typer.Exit()


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


def create_cli() -> typer.Typer:
    """The root app with every command group added (a fresh one per call, for tests)."""
    root = typer.Typer(
        name="reportguard",
        help="ReportGuard: find coordinated mass-reporting campaigns and triage reports fairly."
        "\n\nReportGuard only reads the reports your platform received; it never files reports.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        rich_markup_mode="rich",
        add_completion=False,
    )
    root.callback()(_root)
    for group in COMMAND_GROUPS:
        root.add_typer(group.app)
    return root


app = create_cli()


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
