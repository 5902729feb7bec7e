"""Small helpers every query over the store needs, so each rule is written once."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

import polars as pl

T = TypeVar("T")

#: Values per ``IN (...)`` list: SQLite allows at most 32,766 bound parameters in a statement,
#: and both databases plan a few thousand values well.
IN_LIST_SIZE = 5000


def chunked(values: Sequence[T], size: int = IN_LIST_SIZE) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most ``size`` values, for ``column.in_(chunk)`` queries.

    >>> [list(c) for c in chunked([1, 2, 3, 4, 5], size=2)]
    [[1, 2], [3, 4], [5]]
    """
    for start in range(0, len(values), size):
        yield values[start : start + size]


def epoch_expr(column: pl.Expr) -> pl.Expr:
    """Stored times (text on SQLite, timestamptz on PostgreSQL) as epoch seconds."""
    text = column.cast(pl.Utf8).str.slice(0, 19).str.replace("T", " ")
    return text.str.to_datetime("%Y-%m-%d %H:%M:%S", time_zone="UTC").dt.epoch("s")
