"""P(violation) fitted to the platform's own decisions: one slope and one intercept (Platt).

The evidence of a case is a log-odds built from stated priors (how rare violations are, what a
voice's record says). Whether 0.7 then means seven in ten depends on the platform: how its
moderators rule, how its reporters behave. Once moderators have decided enough cases, the
logistic map from evidence to probability is refitted on them (Platt, "Probabilistic outputs for
support vector machines", 1999), with a Gaussian prior that keeps it at the identity until the
decisions say otherwise. The ranking never changes, only what the number means.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Calibration:
    """``P = 1 / (1 + exp(-(slope * evidence + intercept)))``, and how many cases it rests on."""

    slope: float = 1.0
    intercept: float = 0.0
    cases: int = 0

    def probability(self, evidence: np.ndarray) -> np.ndarray:
        z = self.slope * np.asarray(evidence, dtype=np.float64) + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0)))

    def sentence(self) -> str:
        if not self.cases:
            return "from the stated priors (too few decided cases to fit on)"
        return f"fitted on {self.cases:,} decided cases"


IDENTITY = Calibration()


def fit_platt(
    evidence: np.ndarray, violation: np.ndarray, *, prior_sd: float = 1.0, iterations: int = 50
) -> Calibration:
    """Maximum a posteriori slope and intercept of a logistic map, by Newton's method.

    Platt's target smoothing (labels ``(n+ + 1)/(n+ + 2)`` and ``1/(n- + 2)``) keeps the fit
    finite when the classes separate; the prior (``slope ~ N(1, sd)``, ``intercept ~ N(0, sd)``)
    keeps it near the identity when the decisions are few or all alike.

    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(0, 2, 4000)
    >>> y = rng.random(4000) < 1 / (1 + np.exp(-(0.5 * x - 1)))
    >>> fit = fit_platt(x, y)
    >>> round(fit.slope, 1), round(fit.intercept, 1)
    (0.5, -1.0)
    """
    x = np.asarray(evidence, dtype=np.float64)
    y = np.asarray(violation, dtype=bool)
    finite = np.isfinite(x)
    x, y = x[finite], y[finite]
    positives, negatives = int(y.sum()), int((~y).sum())
    target = np.where(y, (positives + 1) / (positives + 2), 1 / (negatives + 2))
    w = np.array([1.0, 0.0])
    centre = np.array([1.0, 0.0])
    precision = 1.0 / prior_sd**2
    design = np.column_stack([x, np.ones_like(x)])

    def loss(w: np.ndarray) -> float:
        z = design @ w
        # Cross-entropy against the smoothed targets, written to stay finite for large |z|.
        nll = np.logaddexp(0.0, z) - target * z
        return float(nll.sum() + 0.5 * precision * ((w - centre) ** 2).sum())

    current = loss(w)
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(design @ w, -50.0, 50.0)))
        gradient = design.T @ (p - target) + precision * (w - centre)
        hessian = (design * (p * (1 - p))[:, None]).T @ design + precision * np.eye(2)
        step = np.linalg.solve(hessian, gradient)
        size = 1.0
        while size > 1e-6:  # damped: never accept a step that makes the fit worse
            trial = w - size * step
            value = loss(trial)
            if value <= current:
                break
            size /= 2
        else:
            break
        w, improvement, current = trial, current - value, value
        if improvement < 1e-10:
            break
    return Calibration(slope=float(w[0]), intercept=float(w[1]), cases=len(x))
