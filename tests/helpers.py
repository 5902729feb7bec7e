"""Small builders for hand-made test records."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def report(n: int, **overrides: Any) -> dict[str, Any]:
    """A valid report event; ``n`` makes ids unique."""
    record: dict[str, Any] = {
        "report_id": f"r-{n}",
        "reporter_id": f"u-{n % 97}",
        "target_id": f"t-{n % 13}",
        "reason": "harassment",
        "text": f"report number {n}",
        "created_at": f"2026-11-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:07Z",
        "ip": f"198.51.100.{n % 250}",
        "device": f"dev-{n % 31}",
    }
    record.update(overrides)
    return record


def account(account_id: str, **overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "account_id": account_id,
        "created_at": "2021-05-01T00:00:00Z",
        "followers": 10,
        "following": 20,
        "posts": 30,
        "handle": f"@{account_id}",
    }
    record.update(overrides)
    return record


def write_jsonl(path: Path, records: Iterable[Any]) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write((record if isinstance(record, str) else json.dumps(record)) + "\n")
    return path
