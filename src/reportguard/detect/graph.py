"""Connected components over pairs: how waves merge into rings and reporters into groups."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from typing import TypeVar

T = TypeVar("T", bound=Hashable)


def connected_components(edges: Iterable[tuple[T, T]], nodes: Iterable[T] = ()) -> list[set[T]]:
    """Groups of nodes joined by edges (union-find with path halving); lone ``nodes`` too.

    >>> sorted(sorted(g) for g in connected_components([(1, 2), (2, 3), (7, 8)], nodes=[9]))
    [[1, 2, 3], [7, 8], [9]]
    """
    parent: dict[T, T] = {}

    def find(x: T) -> T:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for node in nodes:
        find(node)
    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    groups: dict[T, set[T]] = defaultdict(set)
    for x in parent:
        groups[find(x)].add(x)
    return list(groups.values())
