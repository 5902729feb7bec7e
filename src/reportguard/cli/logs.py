"""How the server's logs are written: plain lines for a person, or JSON objects for a collector.

Code everywhere logs through the standard library; structlog only renders. In the JSON format
every record (the access log, errors, uvicorn's own lines) becomes one JSON object per line with
its time, level, logger, the request id of the request being served and, for the access log,
its fields. Neither format ever holds keys, raw addresses or report texts: nothing that logs
puts them in a message.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any, Literal

LogFormat = Literal["text", "json"]
_MARK = "reportguard_handler"


def configure_logs(fmt: LogFormat = "text", *, level: str = "info", access: bool = True) -> None:
    """Send ReportGuard's and uvicorn's logs to stderr in ``fmt``; the access log too when
    ``access`` (one record per request on the ``reportguard.access`` logger)."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        _json_formatter()
        if fmt == "json"
        else _text_formatter("%(levelname)s %(name)s: %(message)s")
    )
    setattr(handler, _MARK, True)
    root.addHandler(handler)
    root.setLevel(level.upper())
    access_log = logging.getLogger("reportguard.access")
    for old in [h for h in access_log.handlers if getattr(h, _MARK, False)]:
        access_log.removeHandler(old)
    access_log.propagate = False
    if access:
        line = logging.StreamHandler(sys.stderr)
        line.setFormatter(_json_formatter() if fmt == "json" else _text_formatter("%(message)s"))
        setattr(line, _MARK, True)
        access_log.addHandler(line)
        access_log.setLevel(logging.INFO)
    else:
        access_log.setLevel(logging.WARNING)


def _text_formatter(body: str) -> logging.Formatter:
    formatter = logging.Formatter("%(asctime)s " + body, "%Y-%m-%dT%H:%M:%SZ")
    formatter.converter = time.gmtime
    return formatter


def _json_formatter() -> logging.Formatter:
    import structlog  # only when JSON is asked for: `serve --help` stays quick

    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),
    ]
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(sort_keys=True),
        ],
    )
