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
    """Validate a policy file and explain every problem in it."""
    from reportguard.policy import load_policy

    policy = load_policy(path)
    console.print(
        f"{path}: valid. {len(policy.reasons)} reasons, a ladder of {len(policy.ladder)} rungs, "
        f"strikes expire after {policy.strikes.expiry_days} days, appeals open "
        f"{policy.appeals.window_days} days, automation "
        + ("on" if policy.automation.enabled else "off")
    )


@app.command("show")
def policy_show(ctx: typer.Context) -> None:
    """Print the policy in force (REPORTGUARD_POLICY_FILE, or the default) as JSON."""
    console.print_json(settings_of(ctx).policy().model_dump_json())
