"""The ``reportguard`` command line: thin commands over the same functions as the Python API.

Each command group lives in its own module with its own ``typer.Typer``; only this root adds
them. Errors a user can fix print as one line and exit non-zero; nothing prints a traceback
unless ``REPORTGUARD_DEBUG=1`` asks for one.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer

from reportguard import __version__
from reportguard.cli import (
    campaigns,
    db,
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
from reportguard.errors import ReportGuardError

# In the order `reportguard --help` lists them: the flow first, then the tools around it.
COMMAND_GROUPS = (
    demo, ingest, oversight, simulate, detect, review, campaigns, policy, webhooks, serve, keys,
    notices, db,
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
    create: Annotated[
        bool,
        typer.Option(
            "--create",
            help="Let any command start a new, empty SQLite database where --db names none "
            "(ingest, serve and demo always may).",
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    from reportguard.config import Settings

    settings = Settings()
    if db is not None:
        settings = settings.model_copy(update={"database_url": db})
    ctx.obj = settings
    ctx.meta["create"] = create


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


_WORDS = {"path": "PATH", "str": "TEXT", "int": "N", "float": "NUMBER", "datetime": "TIME"}


def _value_word(shown: str) -> str:
    """``<list[Path]>`` -> ``PATH``, ``<int range>`` -> ``N``, ``<a|b>`` -> ``a|b``."""
    inner = shown.strip("<>").removesuffix("...").removeprefix("list[").removesuffix("]")
    inner = inner.removesuffix(" range")
    return _WORDS.get(inner.lower(), inner)


def plain_help() -> None:
    """Help that names values in words (PATH, TEXT, N), never Python types.

    Typer shows ``<list[Path]>``, ``<bool>`` and ``{files}``; a moderation lead reading
    ``--help`` should see what to type, and a flag needs no value at all. Only the help text
    changes; parsing is Typer's own.
    """
    from typer import core

    shown_type = core.TyperOption.display_type_rich

    def option_type(self: core.TyperOption, ctx: Any) -> str | None:
        if self.is_flag:
            return None
        return _value_word(str(shown_type(self, ctx) or "")) or None

    def argument_usage(self: core.TyperArgument) -> str:
        name = self.display_name_raw.upper() + ("..." if self.nargs != 1 else "")
        return name if self.required else f"[{name}]"

    def no_type(self: core.TyperArgument, ctx: Any) -> str | None:
        return None  # the argument's name (FILES..., PATH) says what it takes

    core.TyperOption.display_type_rich = option_type  # type: ignore[method-assign]
    core.TyperArgument.display_type_rich = no_type  # type: ignore[method-assign,assignment]
    core.TyperArgument._usage_display_name = argument_usage  # type: ignore[method-assign]


def main() -> None:
    """Entry point: run the app, turning known errors into one line and an exit code."""
    debug = os.environ.get("REPORTGUARD_DEBUG") == "1"
    try:
        plain_help()
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
