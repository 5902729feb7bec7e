"""``reportguard policy check|show``: the enforcement policy file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reportguard.cli.common import console, settings_of

app = typer.Typer(
    name="policy", help="Check and show the enforcement policy.", no_args_is_help=True
)


@app.command("check")
def policy_check(
    path: Annotated[Path, typer.Argument(help="A policy file (TOML).")],
) -> None:
    """Validate a policy file and explain every problem in it, the platform formats' mapping
    tables (each word one its format sends, each reason one of the policy's) included."""
    from reportguard.ingest.formats import table_problems
    from reportguard.policy import PolicyError, load_policy

    policy = load_policy(path)
    problems = table_problems(policy)
    if problems:
        raise PolicyError(f"{path}: " + "; ".join(problems))
    console.print(
        f"{path}: valid. {len(policy.reasons)} reasons, a ladder of {len(policy.ladder)} rungs, "
        f"strikes expire after {policy.strikes.expiry_days} days, appeals open "
        f"{policy.appeals.window_days} days, automation "
        + ("on" if policy.automation.enabled else "off")
        + f"; mapping tables for {len(policy.formats)} platform formats"
    )


@app.command("show")
def policy_show(ctx: typer.Context) -> None:
    """Print the policy in force (REPORTGUARD_POLICY_FILE, or the default) as JSON."""
    console.print_json(settings_of(ctx).policy().model_dump_json())
