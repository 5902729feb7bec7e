"""``reportguard serve``: the HTTP API and the dashboard in one process."""

from __future__ import annotations

import gc
from typing import Annotated

import typer

from reportguard.cli.common import err_console, settings_of
from reportguard.cli.logs import LogFormat

app = typer.Typer()


def check_port(host: str, port: int) -> None:
    """Refuse early, in one line, when the address is taken (uvicorn would log and carry on)."""
    import socket

    from reportguard.errors import ConfigError

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        # As uvicorn binds: a port whose last connections linger in TIME_WAIT after a crash is
        # free to listen on again; only a socket that still listens there refuses it.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
            probe.listen()
        except OSError as exc:
            raise ConfigError(
                f"cannot listen on {host}:{port}: {exc.strerror}; choose another with --port"
            ) from None


@app.command()
def serve(  # noqa: PLR0917 - Typer maps parameters to options
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
    access_log: Annotated[
        bool,
        typer.Option(
            "--access-log/--no-access-log",
            help="One line per request on stderr (key id and hashed client, never raw).",
        ),
    ] = True,
    log_format: Annotated[
        LogFormat,
        typer.Option(help="text: lines for a person; json: one JSON object per line."),
    ] = "text",
) -> None:
    """Serve the HTTP API (OpenAPI schema at /openapi.json, docs at /docs)."""
    import uvicorn

    from reportguard.api import create_app
    from reportguard.cli.logs import configure_logs

    settings = settings_of(ctx)
    check_port(host, port)
    configure_logs(log_format, level=log_level, access=access_log)
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
    # log_config=None: uvicorn's records go through the handlers set above, in the same format.
    uvicorn.run(
        application,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        log_config=None,
    )
