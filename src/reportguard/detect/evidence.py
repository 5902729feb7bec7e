"""How a signal turns a count in a wave into evidence: unlikely by chance *and* a real effect.

With hundreds of reports in a wave, even a trivial difference from the platform is "significant".
A signal therefore fires only when the wave differs materially from the platform (``min_ratio``
times the baseline rate, and at least ``min_share`` of the wave) and the count is unlikely under
the baseline (a binomial upper tail, in -log10 units, capped so no single signal dominates).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import binom, poisson

CAP = 40.0


def binomial_surprise(hits: np.ndarray, n: np.ndarray, p: np.ndarray | float) -> np.ndarray:
    """-log10 P(X >= hits) for X ~ Binomial(n, p), capped at CAP."""
    hits = np.asarray(hits, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    p = np.clip(np.broadcast_to(np.asarray(p, dtype=np.float64), hits.shape), 1e-9, 1 - 1e-9)
    with np.errstate(divide="ignore"):
        value = -binom.logsf(hits - 1, n, p) / np.log(10)
    clipped: np.ndarray = np.clip(np.nan_to_num(value, nan=0.0, posinf=CAP), 0.0, CAP)
    return clipped


def poisson_surprise(k: np.ndarray, expected: np.ndarray, cap: float = 999.0) -> np.ndarray:
    """-log10 P(X >= k) for X ~ Poisson(expected), capped at ``cap`` (the burst's scale)."""
    k = np.asarray(k, dtype=np.float64)
    with np.errstate(divide="ignore"):
        value = -poisson.logsf(k - 1, np.asarray(expected, dtype=np.float64)) / np.log(10)
    capped: np.ndarray = np.minimum(value, cap)
    return capped


def poisson_tail(k: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """P(X >= k) for X ~ Poisson(expected): how likely ``k`` bystanders are by chance."""
    tail: np.ndarray = poisson.sf(np.asarray(k, dtype=np.float64) - 1, expected)
    return tail


def gated(
    surprise: np.ndarray,
    share: np.ndarray,
    baseline: np.ndarray | float,
    min_ratio: float,
    min_share: float,
) -> np.ndarray:
    """Keep the surprise only where the effect is material; else 0."""
    baseline = np.broadcast_to(np.asarray(baseline, dtype=np.float64), share.shape)
    material = (share >= min_share) & (share >= min_ratio * np.maximum(baseline, 1e-9))
    return np.where(material, surprise, 0.0)
