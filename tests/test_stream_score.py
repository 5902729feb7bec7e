"""The per-report stream score (MIDAS-R) on hand-made streams whose answers can be worked out."""

from __future__ import annotations

import inspect
import itertools
import pickle
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl
import pytest
from benchmarks.edge_stream import heavy_repeat, load_edge_stream

from reportguard.detect import stream_score
from reportguard.detect.stream_score import KINDS, StreamScorer, chi2_surprise, node_keys
from reportguard.evaluate.metrics import average_precision, roc_auc


def chi2(a: float, s: float, t: float) -> float:
    """The paper's statistic, written out once more for the worked examples."""
    return 0.0 if t <= 1 else (a - s / t) ** 2 * t**2 / (s * (t - 1))


def reference_scores(
    scorer: StreamScorer, src: npt.NDArray[np.int64], dst: npt.NDArray[np.int64], tick: list[int]
) -> list[float]:
    """The paper's algorithm one edge at a time (insert, then score), on the scorer's hashes."""
    cells = scorer.sketch_cells(src, dst)
    current = np.zeros(len(KINDS) * scorer.rows * scorer.buckets)
    total = np.zeros_like(current)
    out: list[float] = []
    last: int | None = None
    t = 0
    for i, now in enumerate(tick):
        if last is None or now != last:
            if last is not None:
                gap = 1 if scorer.clock == "observed" else now - last
                current *= scorer.alpha**gap
            t = t + 1 if scorer.clock == "observed" else now - tick[0] + 1
            last = now
        current[cells[i]] += 1
        total[cells[i]] += 1
        best = 0.0
        for kind in range(len(KINDS)):
            mine = cells[i][kind * scorer.rows : (kind + 1) * scorer.rows]
            best = max(best, chi2(current[mine].min(), total[mine].min(), t))
        out.append(best)
    return out


def random_stream(
    n: int, seed: int, *, nodes: int = 30, ticks: int = 40
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    rng = np.random.default_rng(seed)
    tick = np.sort(rng.integers(1, ticks, n))
    return rng.integers(0, nodes, n), rng.integers(0, nodes, n), tick


# -- the formula, by hand ----------------------------------------------------------------------


def test_worked_example_by_hand() -> None:
    """Tick 1: 1->2 and 1->3. Tick 2: 1->2 twice. Alpha 0.5, no collisions at 1024 buckets."""
    found = StreamScorer().explain_stream(
        np.array([1, 1, 1, 1]), np.array([2, 3, 2, 2]), np.array([1, 1, 2, 2])
    )
    assert found.score[:2].tolist() == [0.0, 0.0]  # t = 1: no past to compare with
    # Third edge (tick 2, first 1->2): pair current 1 * 0.5 + 1 = 1.5 of total 2; reporter 1:
    # 2 * 0.5 + 1 = 2 of total 3; target 2: 1.5 of 2, like the pair.
    assert found.current[2].tolist() == [1.5, 2.0, 1.5]
    assert found.mean[2].tolist() == [1.0, 1.5, 1.0]
    assert found.parts[2] == pytest.approx([chi2(1.5, 2, 2), chi2(2, 3, 2), chi2(1.5, 2, 2)])
    assert found.parts[2] == pytest.approx([0.5, 1 / 3, 0.5])
    # Fourth: pair 2.5 of 3 -> (2.5 - 1.5)^2 * 4 / (3 * 1) = 4/3; reporter 3 of 4 -> 1.
    assert found.parts[3] == pytest.approx([4 / 3, 1.0, 4 / 3])
    assert found.score.tolist() == pytest.approx([0, 0, 0.5, 4 / 3])
    assert found.clock.tolist() == [1, 1, 2, 2]


@pytest.mark.parametrize(
    ("clock", "alpha", "rows", "buckets"),
    [("observed", 0.5, 2, 1024), ("observed", 0.3, 3, 8), ("elapsed", 0.7, 2, 5)],
)
def test_equals_the_papers_one_edge_at_a_time_algorithm(
    clock: str, alpha: float, rows: int, buckets: int
) -> None:
    """Vectorised per tick, yet each edge sees the sketches after itself and before later edges,
    with collisions in tiny sketches (count-min's overestimate included)."""
    src, dst, tick = random_stream(600, seed=4)
    tick[300:] += 5  # a gap, which the elapsed clock decays over
    scorer = StreamScorer(rows=rows, buckets=buckets, alpha=alpha, clock=clock, seed=9)
    got = scorer.score_stream(src, dst, tick)
    assert got == pytest.approx(reference_scores(scorer, src, dst, tick.tolist()), rel=1e-12)


# -- behaviour ---------------------------------------------------------------------------------


def test_a_sudden_burst_of_one_pair_scores_highest() -> None:
    rng = np.random.default_rng(1)
    src, dst, tick = [], [], []
    for t in range(1, 61):  # an hour of quiet: five unrelated reports a minute
        src += rng.integers(0, 1000, 5).tolist()
        dst += rng.integers(1000, 2000, 5).tolist()
        tick += [t] * 5
    for i in range(40):  # minute 61: one reporter files 40 reports on one account
        src.append(5000)
        dst.append(6000)
        tick.append(61)
        if i % 8 == 0:  # with the usual background in the same minute
            src.append(int(rng.integers(0, 1000)))
            dst.append(int(rng.integers(1000, 2000)))
            tick.append(61)
    burst_rows = [i for i, (s, d) in enumerate(zip(src, dst, strict=True)) if s == 5000]
    scores = StreamScorer().score_stream(np.array(src), np.array(dst), np.array(tick))
    top = set(np.argsort(-scores)[:35].tolist())
    assert top <= set(burst_rows)
    assert int(scores.argmax()) == burst_rows[-1]  # the 40th report of the burst: a = s = 40
    assert scores[burst_rows[-1]] == pytest.approx(40 * 60)  # k-th unseen repeat: k * (t - 1)
    assert float(chi2_surprise(scores[burst_rows[-1]])) > 100


def test_decay_per_observed_tick_and_per_elapsed_tick() -> None:
    # 1->2 four times at tick 1, something else at ticks 3, 4 and 5, then 1->2 at tick 5.
    src = np.array([1, 1, 1, 1, 7, 7, 7, 1])
    dst = np.array([2, 2, 2, 2, 8, 8, 8, 2])
    tick = np.array([1, 1, 1, 1, 3, 4, 5, 5])
    observed = StreamScorer(alpha=0.5).explain_stream(src, dst, tick)
    assert observed.current[-1, 0] == 4 * 0.5**3 + 1  # three new ticks since: 3, 4, 5
    assert observed.clock[-1] == 4
    elapsed = StreamScorer(alpha=0.5, clock="elapsed").explain_stream(src, dst, tick)
    assert elapsed.current[-1, 0] == 4 * 0.5**4 + 1  # four ticks elapsed, 2 included
    assert elapsed.clock[-1] == 5
    never = StreamScorer(alpha=1.0).explain_stream(src, dst, tick)
    assert never.current[-1].tolist() == [5.0, 5.0, 5.0]  # alpha 1: current is the total
    reset = StreamScorer(alpha=0.0).explain_stream(src, dst, tick)
    assert reset.current[:4, 0].tolist() == [1, 2, 3, 4]  # alpha 0: this tick only (MIDAS)
    assert reset.current[-1, 0] == 1


def test_one_sided_scores_only_counts_above_their_mean() -> None:
    src, dst, tick = random_stream(2000, seed=2)
    two = StreamScorer().explain_stream(src, dst, tick)
    one = StreamScorer(one_sided=True).explain_stream(src, dst, tick)
    above = two.current > two.mean
    assert np.array_equal(one.parts[above], two.parts[above])
    assert not one.parts[~above].any()
    assert (two.parts[~above] > 0).any()  # the paper's test does score a lull


def test_chi2_surprise_is_the_one_degree_of_freedom_tail() -> None:
    assert chi2_surprise([3.841459])[0] == pytest.approx(-np.log10(0.05), abs=1e-6)
    assert chi2_surprise([6.634897])[0] == pytest.approx(2.0, abs=1e-6)
    values = chi2_surprise([0.0, 1.0, 10.0, 1e4, 1e8])
    assert values[0] == 0.0
    assert np.all(np.diff(values) > 0)
    assert np.isfinite(values).all()


# -- determinism, batches and state ------------------------------------------------------------


def test_deterministic_with_a_seed_and_pickles_mid_stream() -> None:
    src, dst, tick = random_stream(3000, seed=3, nodes=500)
    first = StreamScorer(seed=5, buckets=64).score_stream(src, dst, tick)
    assert np.array_equal(first, StreamScorer(seed=5, buckets=64).score_stream(src, dst, tick))
    other = StreamScorer(seed=6, buckets=64)
    assert not np.array_equal(
        other.sketch_cells(src, dst), StreamScorer(seed=5).sketch_cells(src, dst)
    )
    live = StreamScorer(seed=5, buckets=64)
    head = live.partial_score(src[:1234], dst[:1234], tick[:1234])
    resumed = pickle.loads(pickle.dumps(live))
    assert np.array_equal(
        np.r_[head, resumed.partial_score(src[1234:], dst[1234:], tick[1234:])], first
    )


@pytest.mark.parametrize("clock", ["observed", "elapsed"])
def test_batch_and_streaming_give_identical_scores(clock: str) -> None:
    src, dst, tick = random_stream(5000, seed=7, nodes=80, ticks=300)
    batch = StreamScorer(clock=clock, buckets=32).explain_stream(src, dst, tick)
    live = StreamScorer(clock=clock, buckets=32)
    cuts = [0, 1, 2, 777, 778, 2500, 4999, 5000]
    assert tick[776] == tick[777] or tick[777] == tick[778]  # some cut falls inside a tick
    parts = [
        live.partial_explain(src[a:b], dst[a:b], tick[a:b]) for a, b in itertools.pairwise(cuts)
    ]
    assert np.array_equal(np.concatenate([p.score for p in parts]), batch.score)  # bit for bit
    assert np.array_equal(np.concatenate([p.current for p in parts]), batch.current)
    assert np.array_equal(np.concatenate([p.clock for p in parts]), batch.clock)


def test_internal_chunks_change_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    src, dst, tick = random_stream(3000, seed=8, ticks=50)
    whole = StreamScorer().score_stream(src, dst, tick)
    monkeypatch.setattr(stream_score, "_CHUNK", 7)
    assert np.array_equal(StreamScorer().score_stream(src, dst, tick), whole)


def test_heavy_repeat_stream_keeps_fixed_sketches() -> None:
    """One reporter on one target 200,000 times: memory does not grow, the burst still shows."""
    stream = heavy_repeat(200_000, span_seconds=2 * 86_400, seed=1)
    scorer = StreamScorer()
    scorer.partial_score(np.array([1]), np.array([2]), np.array([0]))
    fresh_bytes = scorer.state_nbytes
    scores = scorer.score_stream(stream.src, stream.dst, stream.time // 60)
    assert scorer.state_nbytes == fresh_bytes == 147_792  # 3 kinds x 2 rows x 1024 cells
    assert scorer.base_.shape == scorer.total_.shape == (3 * 2 * 1024,)
    assert scorer.n_edges_ == 200_000
    assert np.isfinite(scores).all()
    assert roc_auc(scores, stream.label) > 0.99  # the planted burst over the steady repeater
    repeater = (stream.src == 0) & (stream.dst == 1)
    assert np.median(scores[repeater]) < np.median(scores[stream.label == 1])


def test_a_late_edge_counts_in_the_current_tick() -> None:
    live = StreamScorer()
    live.partial_score(np.array([1, 1]), np.array([2, 2]), np.array([10, 11]))
    late = live.partial_explain(np.array([3]), np.array([4]), np.array([5]))
    assert live.tick_ == 11
    assert late.clock.tolist() == [2]


# -- report frames -----------------------------------------------------------------------------


def _reports(n: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "report_id": [f"r-{i}" for i in range(n)],
            "reporter_id": [f"u-{x}" for x in rng.integers(0, 50, n)],
            "target_id": [f"u-{x}" for x in rng.integers(50, 90, n)],
            "t": 1_780_000_000 + rng.integers(0, 6 * 3600, n),
        }
    )


def test_report_frames_score_in_row_order_and_stream_in_batches() -> None:
    reports = _reports(3000, seed=1)
    scores = StreamScorer().score_reports(reports)
    assert scores.name == "report_score"
    assert len(scores) == 3000
    # The stream's order: by minute, and within a minute as given (it counts: insert, score).
    ordered = reports.with_columns(score=scores).sort(pl.col("t") // 60, maintain_order=True)
    again = StreamScorer().score_reports(ordered.drop("score"))
    assert np.array_equal(again.to_numpy(), ordered["score"].to_numpy())
    live = StreamScorer()
    pieces = [live.partial_score_reports(ordered.slice(i, 450)) for i in range(0, 3000, 450)]
    assert np.array_equal(pl.concat(pieces).to_numpy(), ordered["score"].to_numpy())


def test_explained_reports_carry_counts_for_a_sentence() -> None:
    reports = pl.DataFrame(
        {
            "report_id": ["a", "b", "c"],
            "reporter_id": ["u-1", "u-1", "u-1"],
            "target_id": ["u-2", "u-3", "u-2"],
            "t": [0, 30, 60],  # minutes 0 and 1
        }
    )
    found = StreamScorer().explain_reports(reports)
    assert found.columns == [
        "report_id",
        "report_score",
        *[f"{k}_{c}" for k in KINDS for c in ("score", "now", "mean")],
        "tick_number",
    ]
    last = found.row(2, named=True)
    assert (last["pair_now"], last["pair_mean"]) == (1.5, 1.0)
    assert (last["reporter_now"], last["reporter_mean"]) == (2.0, 1.5)
    assert last["report_score"] == pytest.approx(0.5)
    assert found["tick_number"].to_list() == [1, 1, 2]


def test_node_keys_are_stable_and_typed() -> None:
    keys = node_keys(pl.Series("reporter_id", ["u-1", "u-2", "u-1"]))
    assert keys[0] == keys[2] != keys[1]
    assert keys.tolist() == node_keys(pl.Series(["u-1", "u-2", "u-1"])).tolist()
    assert keys.dtype == np.int64
    assert node_keys(pl.Series([5, -3])).tolist() == [5, -3]
    with pytest.raises(ValueError, match="null"):
        node_keys(pl.Series("target_id", ["u-1", None]))


# -- parameters and errors ---------------------------------------------------------------------


def test_parameters_follow_the_detector_habits() -> None:
    scorer = StreamScorer(alpha=0.6, seed=3)
    for name, parameter in inspect.signature(StreamScorer.__init__).parameters.items():
        if name != "self":
            assert parameter.kind is inspect.Parameter.KEYWORD_ONLY
    assert repr(StreamScorer()) == "StreamScorer()"
    assert repr(scorer) == "StreamScorer(alpha=0.6, seed=3)"
    assert not scorer.fitted
    assert scorer.state_nbytes == 0
    fitted = scorer.fit(np.array([1]), np.array([2]), np.array([1]))
    assert fitted is scorer
    assert fitted.fitted
    clone = scorer.clone()
    assert clone.get_params() == scorer.get_params()
    assert not clone.fitted


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"alpha": 1.5}, "alpha"),
        ({"rows": 0}, "rows"),
        ({"buckets": 0}, "buckets"),
        ({"clock": "wall"}, "clock"),
        ({"tick_seconds": 0}, "tick_seconds"),
    ],
)
def test_bad_parameters_are_refused_when_used(params: dict[str, object], message: str) -> None:
    scorer = StreamScorer(**params)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=message):
        scorer.score_stream(np.array([1]), np.array([2]), np.array([1]))


def test_bad_input_is_refused() -> None:
    scorer = StreamScorer()
    with pytest.raises(ValueError, match="length"):
        scorer.score_stream(np.array([1, 2]), np.array([2]), np.array([1, 1]))
    with pytest.raises(ValueError, match="integers"):
        scorer.score_stream(np.array([1]), np.array([2]), np.array([1.5]))
    with pytest.raises(ValueError, match="lack"):
        scorer.score_reports(pl.DataFrame({"reporter_id": ["a"], "t": [1]}))
    assert (
        scorer.score_stream(
            np.array([], np.int64), np.array([], np.int64), np.array([], np.int64)
        ).size
        == 0
    )


# -- the benchmark's loader and metrics --------------------------------------------------------


def test_auc_and_average_precision_match_their_definitions() -> None:
    scores, labels = [0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]
    assert roc_auc(scores, labels) == pytest.approx(0.75)
    assert average_precision(scores, labels) == pytest.approx((1 / 2) * 1 + (1 / 2) * (2 / 3))
    assert roc_auc([1, 1, 1, 1], labels) == 0.5  # ties count half
    assert average_precision([1, 1, 1, 1], labels) == pytest.approx(0.5)
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 1000)
    s = y + rng.normal(0, 1, 1000)
    pairs = (s[y == 1][:, None] > s[y == 0][None, :]).mean()
    assert roc_auc(s, y) == pytest.approx(pairs)


def test_darpa_format_loads_with_day_overflow_and_labels(tmp_path: Path) -> None:
    path = tmp_path / "darpa.csv"
    path.write_text(
        "172.016.112.020,192.168.001.010,07/31/1998-23:59,-\n"
        "172.016.112.050,197.182.091.233,07/32/1998-05:31,httptunnel-e\n"
        "192.168.001.005,192.168.001.001,08/01/1998-00:00,-\n"
        "192.168.001.010,172.016.112.020,08/01/1998-05:31,neptune\n"
    )
    stream = load_edge_stream(path)
    aug1 = 901_929_600  # 1998-08-01T00:00:00Z
    assert stream.time.tolist() == [aug1 - 60, aug1, aug1 + 331 * 60, aug1 + 331 * 60]
    assert stream.label.tolist() == [0, 0, 1, 1]  # sorted by time, stable within a time
    assert stream.time_kind == "darpa"
    assert stream.default_tick_seconds() == 60
    assert stream.src[0] == stream.dst[3]  # one code space for both ends


def test_integer_streams_with_a_header_load(tmp_path: Path) -> None:
    path = tmp_path / "edges.csv"
    path.write_text("src,dst,time,label\n1,2,5,0\n3,4,2,1\n1,2,5,1\n")
    stream = load_edge_stream(path)
    assert stream.time.tolist() == [2, 5, 5]
    assert stream.src.tolist() == [3, 1, 1]
    assert stream.label.tolist() == [1, 0, 1]
    assert stream.default_tick_seconds() == 1
