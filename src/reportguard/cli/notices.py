"""``reportguard notices preview``: see what a notice says before anyone receives it."""

from __future__ import annotations

from typing import Annotated

import typer

from reportguard.cli.common import console, settings_of
from reportguard.errors import ReportGuardError

app = typer.Typer(
    name="notices", help="Notices to reporters and reported accounts.", no_args_is_help=True
)


@app.command("preview")
def preview(
    ctx: typer.Context,
    kind: Annotated[
        str, typer.Argument(help="A notice kind, or `all` (report_received, action_taken, ...).")
    ] = "all",
    language: Annotated[
        str | None, typer.Option(help="Render in this language (falls back as delivery does).")
    ] = None,
) -> None:
    """Render a sample of a notice with the policy's templates (your overrides included)."""
    from reportguard.notices.samples import SAMPLES
    from reportguard.notices.templates import KINDS, notice_templates

    policy = settings_of(ctx).policy()
    templates = notice_templates(policy.notices.templates_dir, policy.notices.default_language)
    kinds = list(KINDS) if kind == "all" else [kind]
    for name in kinds:
        if name not in KINDS:
            raise ReportGuardError(f"unknown notice kind {name!r}; kinds: {', '.join(KINDS)}, all")
        rendered = templates.render(name, SAMPLES[name], language)
        console.rule(f"{name} to the {KINDS[name]} ({rendered.language})")
        console.print(f"[bold]{rendered.title}[/]", highlight=False)
        console.print(rendered.body, highlight=False, markup=False)
