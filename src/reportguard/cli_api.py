"""Commands for the HTTP API: ``serve`` and ``keys create|list|revoke``.

Registered on the main app by :mod:`reportguard.cli`.
"""

from __future__ import annotations

import gc
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from reportguard.cli import _open, _settings, app, console, err_console

keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


def check_port(host: str, port: int) -> None:
    """Refuse early, in one line, when the address is taken (uvicorn would log and carry on)."""
    import socket

    from reportguard.errors import ConfigError

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigError(
                f"cannot listen on {host}:{port}: {exc.strerror}; choose another with --port"
            ) from None


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option(help="Address to listen on; 127.0.0.1 keeps it on this machine.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    live_detection: Annotated[
        bool,
        typer.Option(
            "--live-detection/--no-live-detection",
            help="Run incremental detection and triage on reports sent over HTTP.",
        ),
    ] = True,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Serve the HTTP API (OpenAPI schema at /openapi.json, docs at /docs)."""
    import uvicorn

    from reportguard.api import create_app

    settings = _settings(ctx)
    check_port(host, port)
    application = create_app(settings, live_detection=live_detection)
    err_console.print(
        f"ReportGuard API on http://{host}:{port}  (docs: http://{host}:{port}/docs)",
        highlight=False,
    )
    # What is loaded by now (libraries, the app) lives as long as the process. Frozen, it is
    # left out of the collector's full passes, which otherwise walk all of it while every
    # request in flight waits: about 160 ms each on the benchmark machine (docs/api.md).
    gc.collect()
    gc.freeze()
    uvicorn.run(application, host=host, port=port, log_level=log_level, access_log=False)


@keys_app.command("create")
def keys_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Who uses it: the moderator's name, or a system.")],
    role: Annotated[str, typer.Option(help="ingest, moderator or admin.")] = "moderator",
    rate_limit: Annotated[
        str | None,
        typer.Option(
            help="Own rate limit, e.g. 1000/second (default: REPORTGUARD_API_RATE_LIMIT)."
        ),
    ] = None,
) -> None:
    """Create an API key; the key is printed once and cannot be shown again."""
    from reportguard.keys import create_key

    engine = _open(ctx)
    principal, token = create_key(engine, name, role, rate_limit=rate_limit)
    engine.dispose()
    err_console.print(
        f"created {principal.role} key {principal.key_id} for {principal.name}; "
        "store it now, it is not shown again:",
        highlight=False,
    )
    console.print(token, highlight=False, soft_wrap=True)


@keys_app.command("list")
def keys_list(
    ctx: typer.Context,
    revoked: Annotated[bool, typer.Option("--revoked", help="Include revoked keys.")] = False,
) -> None:
    """List API keys (ids, names, roles; never the secrets)."""
    from reportguard.keys import list_keys

    engine = _open(ctx)
    keys = list_keys(engine, include_revoked=revoked)
    engine.dispose()
    if not keys:
        console.print("no API keys (create one with `reportguard keys create NAME --role ROLE`)")
        return
    table = Table(box=box.SIMPLE_HEAD)
    for column in ("id", "name", "role", "rate limit", "created", "last used", "revoked"):
        table.add_column(column)
    for key in keys:
        table.add_row(
            key.key_id,
            key.name,
            key.role,
            key.rate_limit or "default",
            f"{key.created_at:%Y-%m-%d %H:%M}",
            f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "-",
            f"{key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "-",
        )
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(
    ctx: typer.Context,
    key_id: Annotated[str, typer.Argument(help="The key's id (see `reportguard keys list`).")],
) -> None:
    """Revoke an API key: requests with it are refused from now on."""
    from reportguard.keys import revoke_key

    engine = _open(ctx)
    key = revoke_key(engine, key_id)
    engine.dispose()
    console.print(f"revoked key {key.key_id} ({key.name}, {key.role})")
