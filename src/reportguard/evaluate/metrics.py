"""Plain metric functions, each checked on small hand-made cases in the tests.

Definitions (what the numbers printed by ``reportguard evaluate`` mean):

- precision = |predicted & true| / |predicted|, recall = |predicted & true| / |true|, F1 their
  harmonic mean. An empty prediction has precision 1 (it claims nothing false) and recall 0.
- precision@k: the share of the first k ranked items that are relevant.
- NDCG@k: discounted cumulative gain of the ranking (gain 1 for a relevant item at rank i,
  discounted by log2(i + 1)) divided by that of the ideal ranking.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import numpy.typing as npt

T = TypeVar("T")


@dataclass(frozen=True)
class PRF:
    """Precision, recall and F1 with the counts behind them."""

    precision: float
    recall: float
    f1: float
    true_positives: int
    predicted: int
    actual: int

    def as_dict(self) -> dict[str, float | int]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "tp": self.true_positives,
            "predicted": self.predicted,
            "actual": self.actual,
        }


def prf(predicted: Collection[T], actual: Collection[T]) -> PRF:
    """Set precision, recall and F1.

    >>> r = prf({"a", "b", "c"}, {"b", "c", "d", "e"})
    >>> (round(r.precision, 3), r.recall, round(r.f1, 3))
    (0.667, 0.5, 0.571)
    """
    predicted_set, actual_set = set(predicted), set(actual)
    tp = len(predicted_set & actual_set)
    precision = tp / len(predicted_set) if predicted_set else 1.0
    recall = tp / len(actual_set) if actual_set else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return PRF(precision, recall, f1, tp, len(predicted_set), len(actual_set))


def precision_at_k(ranking: Sequence[T], relevant: Collection[T], k: int) -> float:
    """Share of the first ``k`` items that are relevant (a short ranking counts its gaps as misses).

    >>> precision_at_k(["a", "x", "b", "y"], {"a", "b"}, 2)
    0.5
    """
    if k <= 0:
        raise ValueError("k must be positive")
    relevant_set = set(relevant)
    return sum(1 for item in ranking[:k] if item in relevant_set) / k


def ndcg_at_k(ranking: Sequence[T], relevant: Collection[T], k: int) -> float:
    """Normalised discounted cumulative gain with binary relevance.

    >>> ndcg_at_k(["a", "b"], {"a", "b"}, 2)
    1.0
    >>> round(ndcg_at_k(["x", "a"], {"a"}, 2), 4)
    0.6309
    """
    relevant_set = set(relevant)
    gain = sum(1 / math.log2(i + 2) for i, item in enumerate(ranking[:k]) if item in relevant_set)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(k, len(relevant_set))))
    return gain / ideal if ideal else 0.0


def jaccard(a: Collection[T], b: Collection[T]) -> float:
    """Size of the intersection over size of the union; 0 for two empty sets.

    >>> jaccard({1, 2, 3}, {2, 3, 4})
    0.5
    """
    sa, sb = set(a), set(b)
    union = len(sa | sb)
    return len(sa & sb) / union if union else 0.0


def median(values: Sequence[float]) -> float | None:
    """The median, or None for no values.

    >>> median([3, 1, 2]), median([4, 1, 2, 3]), median([])
    (2, 2.5, None)
    """
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2


def reliability(
    predicted: Sequence[float], actual: Sequence[bool], bins: int = 10
) -> tuple[float, list[dict[str, float]]]:
    """The Brier score and a reliability table: equal-count bins of predicted probability.

    A calibrated P(violation) has each bin's mean prediction near its observed share. Bins are
    deciles of the predictions (equal counts), not equal widths: most cases of a queue sit at
    low probabilities, and equal widths would leave the upper bins nearly empty.

    >>> brier, table = reliability([0.1, 0.1, 0.9, 0.9], [False, False, True, False], bins=2)
    >>> round(brier, 3), [(row["predicted"], row["observed"]) for row in table]
    (0.21, [(0.1, 0.0), (0.9, 0.5)])
    """
    pairs = sorted(zip(predicted, actual, strict=True))
    if not pairs:
        return math.nan, []
    brier = sum((p - float(y)) ** 2 for p, y in pairs) / len(pairs)
    table = []
    for b in range(bins):
        part = pairs[b * len(pairs) // bins : (b + 1) * len(pairs) // bins]
        if not part:
            continue
        table.append(
            {
                "cases": float(len(part)),
                "predicted": round(sum(p for p, _ in part) / len(part), 4),
                "observed": round(sum(float(y) for _, y in part) / len(part), 4),
            }
        )
    return brier, table


def roc_auc(scores: npt.ArrayLike, labels: npt.ArrayLike) -> float:
    """Rank-based ROC-AUC (Mann-Whitney U), ties counted half: sklearn's roc_auc_score."""
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels).astype(bool)
    positives, negatives = int(y.sum()), int((~y).sum())
    if positives == 0 or negatives == 0:
        return float("nan")
    order = np.argsort(s, kind="stable")
    sorted_scores = s[order]
    first = np.r_[True, sorted_scores[1:] != sorted_scores[:-1]]
    group = np.cumsum(first) - 1
    starts = np.flatnonzero(first)
    counts = np.diff(np.r_[starts, len(s)])
    mean_rank = starts + (counts + 1) / 2.0  # 1-based average rank of each tie group
    ranks = np.empty(len(s))
    ranks[order] = mean_rank[group]
    u = ranks[y].sum() - positives * (positives + 1) / 2.0
    return float(u / (positives * negatives))


def average_precision(scores: npt.ArrayLike, labels: npt.ArrayLike) -> float:
    """Average precision, one step per distinct score: sklearn's average_precision_score."""
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels).astype(bool)
    positives = int(y.sum())
    if positives == 0:
        return float("nan")
    order = np.argsort(-s, kind="stable")
    sorted_scores, hits = s[order], y[order]
    last = np.r_[sorted_scores[1:] != sorted_scores[:-1], True]  # end of each tie group
    true_pos = np.cumsum(hits)[last]
    seen = np.flatnonzero(last) + 1
    precision = true_pos / seen
    recall = true_pos / positives
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))
