"""``reportguard keys create|list|revoke``: API keys and their roles."""

from __future__ import annotations

from typing import Annotated

import typer
from rich import box
from rich.table import Table

from reportguard.cli.common import console, err_console, open_db

app = typer.Typer(name="keys", help="Create, list and revoke API keys.", no_args_is_help=True)


@app.command("create")
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
    from reportguard.access.keys import create_key

    engine = open_db(ctx, create=True)
    principal, token = create_key(engine, name, role, rate_limit=rate_limit)
    engine.dispose()
    err_console.print(
        f"created {principal.role} key {principal.key_id} for {principal.name}; "
        "store it now, it is not shown again:",
        highlight=False,
    )
    console.print(token, highlight=False, soft_wrap=True)


@app.command("list")
def keys_list(
    ctx: typer.Context,
    revoked: Annotated[bool, typer.Option("--revoked", help="Include revoked keys.")] = False,
) -> None:
    """List API keys (ids, names, roles; never the secrets)."""
    from reportguard.access.keys import list_keys

    engine = open_db(ctx)
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


@app.command("revoke")
def keys_revoke(
    ctx: typer.Context,
    key_id: Annotated[str, typer.Argument(help="The key's id (see `reportguard keys list`).")],
) -> None:
    """Revoke an API key: requests with it are refused from now on."""
    from reportguard.access.keys import revoke_key

    engine = open_db(ctx)
    key = revoke_key(engine, key_id)
    engine.dispose()
    console.print(f"revoked key {key.key_id} ({key.name}, {key.role})")
