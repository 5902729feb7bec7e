"""``reportguard webhooks deliver``: the outbox's signed events to the platform."""

from __future__ import annotations

from typing import Annotated

import typer

from reportguard.cli.common import console, open_db, settings_of

app = typer.Typer(
    name="webhooks", help="Deliver queued events to the platform.", no_args_is_help=True
)


@app.command("deliver")
def webhooks_deliver(
    ctx: typer.Context,
    once: Annotated[
        bool, typer.Option("--once", help="One pass over due events, then exit.")
    ] = False,
    interval: Annotated[float, typer.Option(min=0.5, help="Seconds between passes.")] = 5.0,
) -> None:
    """Post due events to REPORTGUARD_WEBHOOK_URL, signed; retry failures with backoff."""
    import time

    from reportguard.errors import ConfigError
    from reportguard.notices.compose import acknowledge_pending
    from reportguard.outbox.webhooks import Dispatcher

    settings = settings_of(ctx)
    if not settings.webhook_url:
        raise ConfigError("no webhook address: set REPORTGUARD_WEBHOOK_URL")
    engine = open_db(ctx)
    dispatcher = Dispatcher(
        engine, url=settings.webhook_url, secret=settings.webhook_signing_secret()
    )
    policy = settings.policy()
    after_id = 0
    while True:
        _, after_id = acknowledge_pending(engine, policy, after_id=after_id)  # receipts first
        report = dispatcher.deliver_due()
        if report.attempted or once:
            console.print(
                f"{report.delivered} delivered, {report.failed} to retry, {report.gave_up} given up"
            )
        if once:
            break
        time.sleep(interval)
    engine.dispose()
