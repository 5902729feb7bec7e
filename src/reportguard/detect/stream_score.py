"""A per-report anomaly score over the report stream, in the style of MIDAS-R.

Why: campaigns group reporters, but a moderator, ``detect --json`` and ``evaluate`` also need a
number for every single report, computed as reports arrive and in memory that does not grow with
the stream. MIDAS-R (Bhatia, Hooi, Yoon, Shin, Faloutsos, "MIDAS: Microcluster-Based Detector of
Anomalies in Edge Streams", AAAI 2020) gives one. Count-min sketches count every reporter ->
target pair, every reporter and every target, once for the current tick (multiplied by ``alpha``
at each new tick instead of being reset) and once in total. A report scores high when the current
count of its pair, its reporter or its target is far above that key's mean per tick so far, by
the chi-squared statistic of the paper::

    X2(a, s, t) = (a - s / t) ** 2 * t ** 2 / (s * (t - 1))      for t > 1, else 0

with ``a`` the decayed current count, ``s`` the total count and ``t`` the tick number; the score is
the largest of the pair's, the reporter's and the target's statistic. Under the null hypothesis
(the key's count this tick is like its past ticks) the statistic is chi-squared with one degree of
freedom, so :func:`chi2_surprise` turns it into the -log10 surprise the other signals speak.

Implemented here from the paper's description. The paper inserts each edge and then scores it,
one edge at a time; here a whole tick is scored at once with numpy, each edge seeing the sketches
after its own insertion and before any later edge's, so the scores are those of the paper's
algorithm and splitting the stream into batches anywhere (even inside a tick) changes nothing.

>>> import numpy as np
>>> scorer = StreamScorer()
>>> scores = scorer.score_stream(
...     src=np.array([1, 2, 1, 2, 7, 7, 7, 7]),
...     dst=np.array([5, 6, 5, 6, 9, 9, 9, 9]),
...     tick=np.array([1, 1, 2, 2, 3, 3, 3, 3]),
... )
>>> [round(float(s), 2) for s in scores]
[0.0, 0.0, 0.5, 0.5, 2.0, 4.0, 6.0, 8.0]
>>> more = scorer.partial_score(np.array([7]), np.array([9]), np.array([4]))  # resumes
>>> round(float(more[0]), 2)  # (4 * 0.5 + 1 - 5 / 4) ** 2 * 4 ** 2 / (5 * 3)
3.27
"""

from __future__ import annotations

import copy
import hashlib
import inspect
from dataclasses import dataclass
from typing import Any, Self

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy import special

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: ``observed``: t counts the ticks that held at least one edge and the sketches decay once per
#: such tick (the paper's reference setting, where timestamps are dense tick numbers).
#: ``elapsed``: t counts ticks since the first one and a gap of g ticks decays by alpha ** g.
CLOCKS = ("observed", "elapsed")
#: The three keys each edge is counted under, in the column order of every (n, 3) array here.
KINDS = ("pair", "reporter", "target")

_PRIME = (1 << 31) - 1  # Mersenne prime of the Carter-Wegman hash family
_LIMB_BITS = 30  # 64-bit ids as three limbs below the prime: products stay inside uint64
_LIMB_MASK = np.uint64((1 << _LIMB_BITS) - 1)
_CHUNK = 1 << 20  # edges handled at once: bounds the working memory whatever the batch size


def chi2_surprise(scores: npt.ArrayLike) -> FloatArray:
    """-log10 of the chi-squared (1 dof) tail of a score: the unit of the other signals.

    >>> [round(float(x), 2) for x in chi2_surprise([0.0, 3.841, 100.0])]
    [0.0, 1.3, 22.82]
    """
    x = np.sqrt(np.maximum(np.asarray(scores, dtype=np.float64), 0.0))
    # P(X2 > x^2) = 2 * Phi(-x), taken in logs so that huge scores keep finite surprises.
    log_tail = np.log(2.0) + special.log_ndtr(-x)
    return np.asarray(np.maximum(-log_tail / np.log(10.0), 0.0), dtype=np.float64)


def node_keys(ids: pl.Series) -> IntArray:
    """Stable 64-bit keys for account ids: integers as they are, strings by BLAKE2b.

    Stable across processes and batches (a live scorer may be pickled and resumed), and the
    stream's state never holds the ids themselves. Give the same ids the same dtype every time.
    """
    if ids.null_count():
        raise ValueError(f"{ids.name}: {ids.null_count()} null ids")
    if ids.dtype.is_integer():
        return np.asarray(ids.cast(pl.Int64, wrap_numerical=True).to_numpy(), dtype=np.int64)
    text = ids.cast(pl.Utf8).alias("id")
    uniques = text.unique()
    keys = pl.DataFrame(
        {
            "id": uniques,
            "key": pl.Series(
                [
                    int.from_bytes(
                        hashlib.blake2b(v.encode(), digest_size=8).digest(), "little", signed=True
                    )
                    for v in uniques.to_list()
                ],
                dtype=pl.Int64,
            ),
        }
    )
    # A hash join maps ten million ids in about two thirds of replace_strict's time.
    mapped = text.to_frame().join(keys, on="id", how="left", maintain_order="left")["key"]
    return np.asarray(mapped.to_numpy(), dtype=np.int64)


@dataclass(frozen=True)
class StreamScores:
    """Per edge: the score, each key's statistic and the counts behind it (for explanations).

    ``parts``, ``current`` and ``mean`` are (n, 3) in :data:`KINDS` order; ``mean`` is the
    key's total count divided by the tick number, the expectation ``current`` is judged against.
    """

    score: FloatArray
    parts: FloatArray
    current: FloatArray
    mean: FloatArray
    clock: IntArray


class StreamScorer:
    """MIDAS-R over an edge stream (reporter -> target), one score per edge.

    ``rows`` hash functions of ``buckets`` cells per sketch (the paper's 2 x 1024), decay
    ``alpha`` per tick (0 resets each tick as plain MIDAS does, 1 never forgets), hash family drawn
    from ``seed``. ``one_sided`` scores only counts above their mean (the paper's test is
    two-sided: a lull scores too). ``tick_seconds`` is the tick of the report-frame methods, whose
    ``t`` is in epoch seconds; the array methods take tick numbers directly.
    """

    def __init__(
        self,
        *,
        rows: int = 2,
        buckets: int = 1024,
        alpha: float = 0.5,
        clock: str = "observed",
        one_sided: bool = False,
        tick_seconds: int = 60,
        seed: int = 0,
    ) -> None:
        self.rows = rows
        self.buckets = buckets
        self.alpha = alpha
        self.clock = clock
        self.one_sided = one_sided
        self.tick_seconds = tick_seconds
        self.seed = seed

    # -- the scikit-learn habits ---------------------------------------------------------------

    @classmethod
    def _param_names(cls) -> list[str]:
        return [p for p in inspect.signature(cls.__init__).parameters if p != "self"]

    def get_params(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._param_names()}

    def clone(self) -> Self:
        """A new scorer with the same parameters and no stream state."""
        return type(self)(**copy.deepcopy(self.get_params()))

    def __repr__(self) -> str:
        defaults = {
            n: p.default for n, p in inspect.signature(type(self).__init__).parameters.items()
        }
        changed = [f"{k}={v!r}" for k, v in self.get_params().items() if defaults.get(k) != v]
        return f"{type(self).__name__}({', '.join(changed)})"

    @property
    def fitted(self) -> bool:
        return any(k.endswith("_") and not k.startswith("_") for k in vars(self))

    @property
    def state_nbytes(self) -> int:
        """Bytes held by the sketches: fixed by rows and buckets, whatever the stream's length."""
        if not self.fitted:
            return 0
        arrays = (self.hash_a_, self.hash_b_, self.base_, self.pending_, self.total_)
        return sum(a.nbytes for a in arrays)

    def _reset(self) -> None:
        """Fresh sketches and a hash family drawn from the seed (validation lives here, not in
        ``__init__``)."""
        if self.rows < 1 or not 1 <= self.buckets < _PRIME:
            raise ValueError(
                f"rows >= 1 and 1 <= buckets < 2**31 (got {self.rows}, {self.buckets})"
            )
        if not 0.0 <= self.alpha <= 1.0:
            raise ValueError(f"alpha must be within [0, 1], got {self.alpha}")
        if self.clock not in CLOCKS:
            raise ValueError(f"clock must be one of {CLOCKS}, got {self.clock!r}")
        if self.tick_seconds < 1:
            raise ValueError(f"tick_seconds must be >= 1, got {self.tick_seconds}")
        rng = np.random.default_rng(self.seed)
        cells = len(KINDS) * self.rows * self.buckets
        #: Per kind and row, coefficients for up to six limbs (pair: reporter's then target's).
        self.hash_a_ = rng.integers(1, _PRIME, size=(len(KINDS), self.rows, 6), dtype=np.uint64)
        self.hash_b_ = rng.integers(0, _PRIME, size=(len(KINDS), self.rows), dtype=np.uint64)
        #: Decayed current counts as of the start of the current tick, every sketch flattened.
        self.base_ = np.zeros(cells, dtype=np.float64)
        #: Edges counted in the current tick so far (whole numbers, folded into base_ at the
        #: next tick): what keeps batch and streaming bit-identical.
        self.pending_ = np.zeros(cells, dtype=np.float64)
        self.total_ = np.zeros(cells, dtype=np.int64)
        self.tick_: int | None = None  # the current tick
        self.origin_: int | None = None  # the first tick (elapsed clock)
        self.clock_ = 0  # the current tick's number t
        self.n_edges_ = 0

    # -- hashing -------------------------------------------------------------------------------

    def sketch_cells(self, src: npt.ArrayLike, dst: npt.ArrayLike) -> IntArray:
        """The flat sketch cells each edge increments: (n, 3 * rows), kind-major.

        A universal (Carter-Wegman) hash per kind and row, ((a . limbs + b) mod p) mod buckets,
        over the ids' 30-bit limbs. Public for tests and explanations.
        """
        if not self.fitted:
            self._reset()
        return self._cells(np.asarray(src, dtype=np.int64), np.asarray(dst, dtype=np.int64)).T

    def _cells(self, src: IntArray, dst: IntArray) -> IntArray:
        """As :meth:`sketch_cells`, one contiguous row per sketch row: (3 * rows, n)."""
        s, d = _limbs(src), _limbs(dst)
        n = len(src)
        out = np.empty((len(KINDS) * self.rows, n), dtype=np.int64)
        acc = np.empty(n, dtype=np.uint64)
        term = np.empty(n, dtype=np.uint64)
        for kind, limbs in enumerate((s + d, s, d)):
            for row in range(self.rows):
                acc.fill(self.hash_b_[kind, row])
                for limb, coef in zip(limbs, self.hash_a_[kind, row], strict=False):
                    np.multiply(limb, coef, out=term)
                    acc += term
                acc %= np.uint64(_PRIME)
                acc %= np.uint64(self.buckets)
                column = kind * self.rows + row
                np.add(acc, np.uint64(column * self.buckets), out=out[column], casting="unsafe")
        return out

    # -- the stream ----------------------------------------------------------------------------

    def fit(self, src: npt.ArrayLike, dst: npt.ArrayLike, tick: npt.ArrayLike) -> Self:
        """Consume a stream from fresh sketches (e.g. history before live scoring)."""
        self._reset()
        self.partial_score(src, dst, tick)
        return self

    def score_stream(
        self, src: npt.ArrayLike, dst: npt.ArrayLike, tick: npt.ArrayLike
    ) -> FloatArray:
        """Scores of a whole stream from fresh sketches, in input order (the batch form)."""
        self._reset()
        return self.partial_score(src, dst, tick)

    def explain_stream(
        self, src: npt.ArrayLike, dst: npt.ArrayLike, tick: npt.ArrayLike
    ) -> StreamScores:
        """As :meth:`score_stream`, with each key's statistic and counts."""
        self._reset()
        return self.partial_explain(src, dst, tick)

    def partial_score(
        self, src: npt.ArrayLike, dst: npt.ArrayLike, tick: npt.ArrayLike
    ) -> FloatArray:
        """Scores of the next batch, continuing the stream (the streaming form).

        Batches must come in time order; within a batch edges are taken in tick order (stable).
        An edge older than the current tick counts in the current tick: a stream cannot go back.
        """
        return self._run(src, dst, tick, explain=False).score

    def partial_explain(
        self, src: npt.ArrayLike, dst: npt.ArrayLike, tick: npt.ArrayLike
    ) -> StreamScores:
        """As :meth:`partial_score`, with each key's statistic and counts."""
        return self._run(src, dst, tick, explain=True)

    # -- report frames -------------------------------------------------------------------------

    def fit_reports(self, reports: pl.DataFrame) -> Self:
        """Consume a report log (``reporter_id``, ``target_id``, ``t`` in epoch seconds)."""
        self._reset()
        self.partial_score_reports(reports)
        return self

    def score_reports(self, reports: pl.DataFrame) -> pl.Series:
        """``report_score`` for each row of a report log, in its row order, from fresh sketches."""
        self._reset()
        return self.partial_score_reports(reports)

    def partial_score_reports(self, batch: pl.DataFrame) -> pl.Series:
        """``report_score`` for the next batch of reports, continuing the stream."""
        return pl.Series("report_score", self.partial_score(*self._report_arrays(batch)))

    def explain_reports(self, reports: pl.DataFrame) -> pl.DataFrame:
        """From fresh sketches, see :meth:`partial_explain_reports`."""
        self._reset()
        return self.partial_explain_reports(reports)

    def partial_explain_reports(self, batch: pl.DataFrame) -> pl.DataFrame:
        """Per report: the score, each key's statistic, and its count this tick against its mean.

        Columns ``report_score``, ``{pair,reporter,target}_{score,now,mean}``, ``tick_number``;
        ``report_id`` first when the batch has one. Enough for a sentence such as "12 reports
        from this reporter on this target in this minute, against 0.03 a minute before".
        """
        found = self.partial_explain(*self._report_arrays(batch))
        columns: dict[str, Any] = {}
        if "report_id" in batch.columns:
            columns["report_id"] = batch["report_id"]
        columns["report_score"] = found.score
        for i, kind in enumerate(KINDS):
            columns[f"{kind}_score"] = found.parts[:, i]
            columns[f"{kind}_now"] = found.current[:, i]
            columns[f"{kind}_mean"] = found.mean[:, i]
        columns["tick_number"] = found.clock
        return pl.DataFrame(columns)

    def _report_arrays(self, batch: pl.DataFrame) -> tuple[IntArray, IntArray, IntArray]:
        missing = {"reporter_id", "target_id", "t"} - set(batch.columns)
        if missing:
            raise ValueError(f"reports lack {sorted(missing)}")
        if batch["t"].null_count():
            raise ValueError(f"t: {batch['t'].null_count()} null times")
        t = np.asarray(batch["t"].cast(pl.Int64).to_numpy(), dtype=np.int64)
        # Reporters and targets are accounts alike: one pass keys both (an account's key is the
        # same whichever side it is on), which hashes each distinct id once.
        reporters, targets = batch["reporter_id"], batch["target_id"]
        tick = self._ticks(t)
        if reporters.dtype != targets.dtype:
            return node_keys(reporters), node_keys(targets), tick
        both = node_keys(pl.concat([reporters, targets]))
        return both[: len(batch)], both[len(batch) :], tick

    def _ticks(self, t: IntArray) -> IntArray:
        """Epoch seconds to tick numbers, aligned on the epoch (whole minutes by default), so a
        batch boundary moves none."""
        return t // self.tick_seconds

    def score_keyed(self, src: IntArray, dst: IntArray, t: IntArray) -> FloatArray:
        """As :meth:`score_stream` with times in epoch seconds, for accounts already keyed with
        :func:`node_keys` (a caller that keys each distinct account once)."""
        self._reset()
        return self.partial_score(src, dst, self._ticks(np.asarray(t, dtype=np.int64)))

    # -- the algorithm -------------------------------------------------------------------------

    def _run(
        self, src: npt.ArrayLike, dst: npt.ArrayLike, tick: npt.ArrayLike, *, explain: bool
    ) -> StreamScores:
        if not self.fitted:
            self._reset()
        s_arr, d_arr, t_arr = (np.asarray(x) for x in (src, dst, tick))
        for name, arr in (("src", s_arr), ("dst", d_arr), ("tick", t_arr)):
            if arr.ndim != 1 or not (arr.size == 0 or np.issubdtype(arr.dtype, np.integer)):
                raise ValueError(f"{name} must be a 1-d array of integers, got {arr.dtype}")
        n = len(t_arr)
        if len(s_arr) != n or len(d_arr) != n:
            raise ValueError(
                f"src, dst and tick differ in length ({len(s_arr)}, {len(d_arr)}, {n})"
            )
        t64 = t_arr.astype(np.int64)
        order: IntArray | None = None
        if n > 1 and bool(np.any(t64[1:] < t64[:-1])):
            order = np.argsort(t64, kind="stable")
            s_arr, d_arr, t64 = s_arr[order], d_arr[order], t64[order]
        if self.tick_ is not None:
            t64 = np.maximum(t64, self.tick_)
        s64, d64 = s_arr.astype(np.int64), d_arr.astype(np.int64)
        score = np.empty(n, dtype=np.float64)
        rows = n if explain else 0  # the counts are kept only when asked for
        keep = (
            np.empty((rows, 3)),
            np.empty((rows, 3)),
            np.empty((rows, 3)),
            np.empty(rows, np.int64),
        )
        for lo in range(0, n, _CHUNK):
            hi = min(lo + _CHUNK, n)
            current, total, clock = self._consume(s64[lo:hi], d64[lo:hi], t64[lo:hi])
            parts, mean = _chi2(current, total, clock, one_sided=self.one_sided)
            score[lo:hi] = np.maximum(np.maximum(parts[:, 0], parts[:, 1]), parts[:, 2])
            if explain:
                keep[0][lo:hi], keep[1][lo:hi], keep[2][lo:hi] = parts, current, mean
                keep[3][lo:hi] = clock
        if order is not None:  # back to input order
            inverse = np.empty(n, dtype=np.int64)
            inverse[order] = np.arange(n)
            score = score[inverse]
            if explain:
                keep = (keep[0][inverse], keep[1][inverse], keep[2][inverse], keep[3][inverse])
        return StreamScores(score, *keep)

    def _consume(
        self, src: IntArray, dst: IntArray, tick: IntArray
    ) -> tuple[FloatArray, IntArray, IntArray]:
        """Advance the sketches over one time-ordered chunk: current (n, 3), total (n, 3), t (n,).

        Every integer count (totals, counts within a tick) comes from one stable sort per sketch
        row; only the decayed counts need the loop over ticks, a few array operations each.
        """
        n = len(tick)
        if n == 0:
            return np.empty((0, 3)), np.empty((0, 3), np.int64), np.empty(0, np.int64)
        cells = self._cells(src, dst)  # (3 * rows, n)
        new = np.empty(n, dtype=bool)
        new[0] = self.tick_ is None or tick[0] != self.tick_
        new[1:] = tick[1:] != tick[:-1]
        group = np.cumsum(new)  # 0: the edges continuing the state's open tick
        starts = np.flatnonzero(new)

        total, within = _ranks(cells, group, self.buckets)
        total += 1
        total += self.total_[cells]
        within += 1
        continuing = int(starts[0]) if len(starts) else n
        if continuing:
            within[:, :continuing] += self.pending_[cells[:, :continuing]].astype(np.int64)

        current = np.empty(cells.shape, dtype=np.float64)
        bounds = [0, *starts.tolist()] if continuing else starts.tolist()
        ends = [*bounds[1:], n]
        base, pending, size = self.base_, self.pending_, self.base_.size
        observed = self.clock == "observed"
        touched: IntArray | None = None  # the cells of the previous tick, when in this chunk
        for lo, hi, now in zip(bounds, ends, tick[bounds].tolist(), strict=True):
            if self.tick_ is None:
                self.origin_ = now
            elif now != self.tick_:
                # Fold the closed tick's counts in, then decay: (base + pending) * factor. Only
                # the cells it touched change (duplicates write the same value), which is the
                # same arithmetic as folding every cell, so where a batch ends changes nothing.
                if touched is None:
                    base += pending
                    pending[:] = 0
                else:
                    base[touched] += pending[touched]
                    pending[touched] = 0
                base *= self.alpha if observed else self.alpha ** (now - self.tick_)
            self.tick_ = now
            block = cells[:, lo:hi]
            np.add(base[block], within[:, lo:hi], out=current[:, lo:hi])
            flat = block.ravel()
            np.add.at(pending, flat, 1.0)
            # A tick opened by an earlier batch also holds counts in cells this one never saw.
            touched = None if lo == 0 and continuing else flat
        self.total_ += np.bincount(cells.ravel(), minlength=size)

        if observed:
            clock = self.clock_ + group
        else:
            assert self.origin_ is not None
            clock = tick - self.origin_ + 1
        self.clock_ = int(clock[-1])
        self.n_edges_ += n
        return _min_by_kind(current, self.rows), _min_by_kind(total, self.rows), clock


def _ranks(cells: IntArray, group: IntArray, buckets: int) -> tuple[IntArray, IntArray]:
    """Per sketch row and edge: how many earlier edges of the chunk share its cell, overall and
    within its tick (0-based). A stable sort keeps stream order inside each cell."""
    n = cells.shape[1]
    total = np.empty_like(cells)
    within = np.empty_like(cells)
    pos = np.arange(n)
    first_in_cell = np.empty(n, dtype=bool)
    first_in_run = np.empty(n, dtype=bool)
    key_type = np.uint16 if buckets <= 1 << 16 else np.int64
    for column, row_cells in enumerate(cells):
        keys = (row_cells - column * buckets).astype(key_type)
        order = np.argsort(keys, kind="stable")  # a radix sort for 16-bit keys
        sorted_keys, sorted_group = keys[order], group[order]
        first_in_cell[0] = True
        np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=first_in_cell[1:])
        first_in_run[0] = True
        np.not_equal(sorted_group[1:], sorted_group[:-1], out=first_in_run[1:])
        first_in_run |= first_in_cell
        total[column, order] = pos - np.maximum.accumulate(np.where(first_in_cell, pos, 0))
        within[column, order] = pos - np.maximum.accumulate(np.where(first_in_run, pos, 0))
    return total, within


def _min_by_kind(
    values: npt.NDArray[np.float64] | npt.NDArray[np.int64], rows: int
) -> npt.NDArray[Any]:
    """The count-min query: the smallest of each kind's rows, as (n, 3)."""
    out = np.empty((values.shape[1], len(KINDS)), dtype=values.dtype)
    for kind in range(len(KINDS)):
        np.min(values[kind * rows : (kind + 1) * rows], axis=0, out=out[:, kind])
    return out


def _limbs(keys: IntArray) -> list[npt.NDArray[np.uint64]]:
    """A 64-bit id as three field elements below the prime (30, 30 and 4 bits)."""
    u = keys.view(np.uint64)
    shift = np.uint64(_LIMB_BITS)
    return [u & _LIMB_MASK, (u >> shift) & _LIMB_MASK, u >> (shift + shift)]


def _chi2(
    current: FloatArray, total: IntArray, clock: IntArray, *, one_sided: bool
) -> tuple[FloatArray, FloatArray]:
    """The paper's statistic per key, and the mean it compares against."""
    t = clock.astype(np.float64)[:, None]
    s = total.astype(np.float64)
    mean = s / t
    with np.errstate(divide="ignore", invalid="ignore"):
        parts = ((current - mean) * t) ** 2 / (s * (t - 1.0))
    keep = (t > 1.0) & (s > 0)
    if one_sided:
        keep &= current > mean
    return np.where(keep, parts, 0.0), mean
