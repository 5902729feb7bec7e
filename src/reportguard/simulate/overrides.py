"""``--set campaigns.0.reporters=50``: change any field of a spec from the command line."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from reportguard.errors import ReportGuardError
from reportguard.simulate.spec import PlatformSpec


def apply_overrides(spec: PlatformSpec, items: list[str]) -> PlatformSpec:
    """Return a copy of ``spec`` with each ``path=value`` applied (value parsed as JSON if it can).

    >>> from reportguard.simulate.spec import preset
    >>> spec = apply_overrides(preset("small"), ["seed=3", "campaigns.0.reporters=9"])
    >>> spec.seed, spec.campaigns[0].reporters
    (3, 9)
    """
    data: dict[str, Any] = spec.model_dump()
    for item in items:
        path, sep, raw = item.partition("=")
        if not sep or not path:
            raise ReportGuardError(f"--set {item!r}: use PATH=VALUE, e.g. campaigns.0.reporters=50")
        try:
            value: Any = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        node: Any = data
        keys = path.split(".")
        for key in keys[:-1]:
            node = _step(node, key, item)
        last = keys[-1]
        if isinstance(node, list):
            node[_index(node, last, item)] = value
        elif isinstance(node, dict) and last in node:
            node[last] = value
        else:
            raise ReportGuardError(f"--set {item!r}: no field {last!r} there")
    try:
        return PlatformSpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ReportGuardError(f"--set: {where + ': ' if where else ''}{message}") from None


def _step(node: Any, key: str, item: str) -> Any:
    if isinstance(node, list):
        return node[_index(node, key, item)]
    if isinstance(node, dict) and key in node:
        return node[key]
    raise ReportGuardError(f"--set {item!r}: no field {key!r} there")


def _index(node: list[Any], key: str, item: str) -> int:
    if not key.isdigit() or int(key) >= len(node):
        raise ReportGuardError(f"--set {item!r}: {key!r} is not an index below {len(node)}")
    return int(key)
