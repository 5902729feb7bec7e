"""P(violation) fitted to the platform's own decisions: Platt, then isotonic with more of them.

The evidence of a case is a log-odds built from stated priors (how rare violations are, what a
voice's record says). Whether 0.7 then means seven in ten depends on the platform: how its
moderators rule, how its reporters behave. Once moderators have decided enough cases, the
logistic map from evidence to probability is refitted on them (Platt, "Probabilistic outputs for
support vector machines", 1999), with a Gaussian prior that keeps it at the identity until the
decisions say otherwise. One slope and one intercept cannot bend: where the evidence over- or
under-states some range (many cases resting on one reporter's record, say), a logistic map is
wrong there whatever its two numbers. With ``ISOTONIC_MINIMUM`` decided cases the map becomes a
monotone step function fitted by pool-adjacent-violators (isotonic regression, as Zadrozny and
Elkan, "Transforming classifier scores into accurate multiclass probability estimates", 2002,
use it for calibration), each step shrunk toward the Platt map by ``shrink`` pseudo-cases so a
step of a few cases is not read as certainty. The ranking never changes, only what the number
means (a monotone map keeps the order; ties within a step keep the evidence's order).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ISOTONIC_MINIMUM = 200  # decided cases before the map may bend


@dataclass(frozen=True)
class Calibration:
    """``P = 1 / (1 + exp(-(slope * evidence + intercept)))``, or, with ``knots``, the isotonic
    step map interpolated between its steps' mean evidence; and how many cases it rests on."""

    slope: float = 1.0
    intercept: float = 0.0
    cases: int = 0
    knots: tuple[tuple[float, float], ...] = ()  # (evidence, probability), increasing

    def probability(self, evidence: np.ndarray) -> np.ndarray:
        x = np.asarray(evidence, dtype=np.float64)
        if self.knots:
            xs, ps = (np.array(v) for v in zip(*self.knots, strict=True))
            out: np.ndarray = np.interp(x, xs, ps)
            return out
        z = self.slope * x + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0)))

    def sentence(self) -> str:
        if not self.cases:
            return "from the stated priors (too few decided cases to fit on)"
        how = " (a monotone map, steps shrunk toward a logistic one)" if self.knots else ""
        return f"fitted on {self.cases:,} decided cases{how}"


IDENTITY = Calibration()


def fit_calibration(
    evidence: np.ndarray, violation: np.ndarray, *, shrink: float = 10.0
) -> Calibration:
    """Platt below ``ISOTONIC_MINIMUM`` decided cases; above, isotonic steps shrunk toward it.

    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(0, 2, 3000)
    >>> y = rng.random(3000) < np.where(x > 1, 0.95, 0.2)  # a jump no logistic map fits
    >>> fit = fit_calibration(x, y)
    >>> [round(float(p), 2) for p in fit.probability(np.array([-2.0, 0.0, 3.0]))]
    [0.2, 0.22, 0.95]
    """
    platt = fit_platt(evidence, violation)
    x = np.asarray(evidence, dtype=np.float64)
    y = np.asarray(violation, dtype=np.float64)
    finite = np.isfinite(x)
    x, y = x[finite], y[finite]
    if len(x) < ISOTONIC_MINIMUM:
        return platt
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    prior = platt.probability(x)
    # Pool adjacent violators over (sum of labels + shrink * logistic mean, count + shrink).
    blocks: list[list[float]] = []  # [weight, weighted label sum, evidence sum, n]
    for xi, yi, pi in zip(x, y, prior, strict=True):
        blocks.append([1.0, yi, xi, 1.0])
        blocks[-1].append(pi)
        while len(blocks) > 1 and _mean(blocks[-2], shrink) >= _mean(blocks[-1], shrink):
            top = blocks.pop()
            for k in range(5):
                blocks[-1][k] += top[k]
    knots = tuple((b[2] / b[3], _mean(b, shrink)) for b in blocks)
    return Calibration(platt.slope, platt.intercept, cases=len(x), knots=knots)


def _mean(block: list[float], shrink: float) -> float:
    """A step's probability: its labels, with ``shrink`` pseudo-cases at the logistic map."""
    weight, labels, _, n, prior = block
    return (labels + shrink * prior / n) / (weight + shrink)


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
