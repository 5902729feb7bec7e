"""``reportguard demo``: a newcomer's first command."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from reportguard.cli.common import (
    command_name,
    console,
    err_console,
    print_access_log,
    settings_of,
)
from reportguard.errors import ReportGuardError

if TYPE_CHECKING:
    from reportguard.pipeline.demo import DemoRun

app = typer.Typer()


@app.command()
def demo(  # noqa: PLR0917 - Typer maps parameters to options
    ctx: typer.Context,
    directory: Annotated[
        Path,
        typer.Option(
            "--dir", help="Folder for the synthetic platform and the demo's own database."
        ),
    ] = Path("demo"),
    preset_name: Annotated[
        str, typer.Option("--preset", help="Platform size: small (~50k reports) or medium (~1M).")
    ] = "small",
    seed: Annotated[int | None, typer.Option(help="Random seed (default: the preset's).")] = None,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the dashboard afterwards.")
    ] = True,
    host: Annotated[str, typer.Option(help="Address the dashboard listens on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port of the dashboard.")] = 8000,
    history: Annotated[
        bool,
        typer.Option(
            "--history/--no-history",
            help="Afterwards play a short labelled history (decisions, a confirmed campaign, "
            "misuse warnings, appeals) so every page has content.",
        ),
    ] = True,
) -> None:
    """Run everything on a synthetic platform, score it against the truth, open the dashboard.

    Simulates report records (nothing is sent anywhere) into a fresh SQLite database in --dir,
    detects campaigns, builds the queue, prints how both compare with the ground truth and with
    a ranking by report count, creates demo keys and serves the dashboard.
    """
    settings = settings_of(ctx)
    if serve:  # before minutes of work, not after
        from reportguard.cli.serve import check_port

        check_port(host, port)
    tasks: dict[str, TaskID] = {}
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:

        def tell(step: str, done: int, total: int | None) -> None:
            if step not in tasks:
                for task in tasks.values():  # the steps before are done
                    bar.update(task, total=1, completed=1)
                tasks[step] = bar.add_task(step, total=total)
            bar.update(tasks[step], completed=done, total=total)

        from reportguard.pipeline.demo import run_demo

        try:
            run = run_demo(
                directory,
                settings=settings,
                preset=preset_name,
                seed=seed,
                progress=tell,
                history=history,
            )
        except ValueError as exc:  # an unknown preset
            raise ReportGuardError(str(exc)) from None
    print_summary(run)
    address = f"http://{host}:{port}/dashboard/"
    _print_keys(run, address)
    if not serve:
        console.print(
            f"Serve it later with: {command_name()} --db {run.database} serve --no-live-detection",
            highlight=False,
        )
        return
    import uvicorn

    from reportguard.api import create_app

    application = create_app(
        settings.model_copy(update={"database_url": str(run.database)}), live_detection=False
    )
    console.print(f"Serving the dashboard on [bold]{address}[/] (Ctrl+C stops it).")
    print_access_log()
    uvicorn.run(application, host=host, port=port, log_level="warning", access_log=False)


def print_summary(run: DemoRun) -> None:
    """What was found against what was planted, and the queue's top against a count ranking."""
    took = ", ".join(f"{step} {s:.1f} s" for step, s in run.seconds.items())
    console.print(
        f"\n[bold]A synthetic platform[/]: {run.reports:,} reports, {run.accounts:,} accounts "
        f"in {run.database} ({took})."
    )
    members, reports = run.members, run.attack_reports
    console.print(
        f"[bold]Campaigns[/]: {run.detected} detected; {run.planted_found} of the "
        f"{run.planted} planted campaigns found. Campaign members: precision "
        f"{members['precision']:.2f}, recall {members['recall']:.2f}; campaign reports: "
        f"precision {reports['precision']:.2f}, recall {reports['recall']:.2f}. "
        f"Organic waves called a campaign: {run.viral_called} of {run.viral}."
    )
    targets = run.targets
    if targets.get("listed"):
        console.print(
            f"[bold]Campaign targets[/]: {targets['listed']:,} listed, "
            f"{targets['brigaded_found']:,} of them brigaded (precision "
            f"{targets['precision']:.2f}); real violators listed: {targets['violators_listed']}, "
            f"innocent accounts no brigade targeted listed: {targets['innocent_listed']}."
        )
    ours, count = run.scores["reportguard"], run.scores["count"]
    console.print(
        f"[bold]The queue[/] ({run.open_cases:,} open cases: {_queues(run.open_by_queue)}; no "
        "decisions yet): violating "
        f"accounts among the top 10 / 50: ReportGuard {ours['p@10']:.0%} / {ours['p@50']:.0%}, "
        f"by report count {count['p@10']:.0%} / {count['p@50']:.0%}. Innocent brigaded accounts "
        f"in the top 50: ReportGuard {ours['brigaded_in_top_50']}, by report count "
        f"{count['brigaded_in_top_50']}."
    )
    ranks = run.brigaded_ranks
    if ranks.get("count"):
        console.print(
            f"[bold]Innocent accounts a brigade targeted[/] rank at "
            f"{_places(ranks['count'])} by report count, at {_places(ranks['reportguard'])} "
            f"in ReportGuard's queue (of {run.open_cases:,})."
        )
    table = Table(box=box.SIMPLE_HEAD, title="Top of the queue (the truth in brackets)")
    table.add_column("#", justify="right")
    table.add_column("ReportGuard")
    table.add_column("by report count")
    for i, ((a, la), (b, lb)) in enumerate(zip(run.queue_top, run.count_top, strict=False)):
        table.add_row(str(i + 1), f"{a}  [{_style(la)}]({la})[/]", f"{b}  [{_style(lb)}]({lb})[/]")
    console.print(table)
    if run.history is not None:
        _print_history(run)


def _print_history(run: DemoRun) -> None:
    """What the demo's moderators did after the figures above were taken."""
    h = run.history
    assert h is not None
    decided = ", ".join(f"{n} {o.replace('_', ' ')}" for o, n in sorted(h.decided.items()))
    appeals = ", ".join(f"{n} {o}" for o, n in sorted(h.appeals.items())) or "none"
    confirmed = ", ".join(str(c) for c in h.confirmed) or "none"
    console.print(
        f"[bold]Then a demo history[/] (played from the ground truth by demo-moderator and "
        f"demo-reviewer, so every dashboard page has something to show): "
        f"{sum(h.decided.values())} cases decided ({decided}; {h.actions} actions), campaigns "
        f"confirmed: {confirmed} ({h.unfounded:,} reports manifestly unfounded, "
        f"{h.remediated} action reversed), misuse measures: {h.misuse_measures}, appeals: "
        f"{appeals}. {run.open_after:,} cases remain open. `--no-history` leaves it out.",
        highlight=False,
    )


def _queues(counts: dict[str, int]) -> str:
    """'7,324 in the violation queue, 10 in the dispute queue', as the dashboard's tabs say."""
    return ", ".join(f"{counts.get(q, 0):,} in the {q} queue" for q in ("violation", "dispute"))


def _places(ranks: list[int]) -> str:
    return ", ".join(f"#{r:,}" for r in ranks)


def _style(label: str) -> str:
    return "green" if label.startswith("violating") else "red" if "brigaded" in label else "dim"


def _print_keys(run: DemoRun, address: str) -> None:
    table = Table(box=box.SIMPLE_HEAD, title=f"Demo keys (sign in at {address})")
    table.add_column("name")
    table.add_column("role")
    table.add_column("key")
    for name, role, token in run.keys:
        table.add_row(name, role, token)
    console.print(table)
    console.print(
        "Work a case as demo-moderator; decide appeals against its decisions as demo-reviewer "
        "(a different moderator); transparency figures need demo-admin."
    )
