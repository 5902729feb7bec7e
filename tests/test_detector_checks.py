"""The generic checks every registered detector passes (the river / scikit-learn habit).

Adding a detector to ``reportguard.detect.signals.DETECTORS`` is all it takes to have it checked
here.
"""

from __future__ import annotations

import inspect
import json
import pickle
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from reportguard.detect.frame import ReportFrame
from reportguard.detect.signals import DETECTORS, BurstDetector, Detector
from reportguard.simulate import preset, simulate

IMMUTABLE = (int, float, str, bool, tuple, type(None))


@pytest.fixture(scope="module")
def frame(small_simulation: Path) -> ReportFrame:
    return ReportFrame.from_simulation(small_simulation)


@pytest.fixture(scope="module")
def wave_reports(frame: ReportFrame) -> pl.DataFrame:
    burst = BurstDetector().fit(frame)
    return burst.wave_reports(frame, burst.find_waves(frame))


@pytest.fixture(scope="module")
def labels(small_simulation: Path, frame: ReportFrame) -> dict[int, str]:
    """Each wave: 'brigaded' or 'viral' (the hard negative), from the ground truth."""
    doc = json.loads((small_simulation / "truth.json").read_text())
    waves = BurstDetector().fit(frame).find_waves(frame)
    out = {}
    for wave, target in waves.select("wave", "target_id").iter_rows():
        if target in doc["targets"]["brigaded"]:
            out[wave] = "brigaded"
        elif target in doc["targets"]["viral"]:
            out[wave] = "viral"
    return out


@pytest.fixture(scope="module")
def spread_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small platform where viral content spreads and brigades dig through profiles."""
    out = tmp_path_factory.mktemp("spread")
    simulate(preset("small").model_copy(update={"content_spread": True}), out)
    return out


def _context_explains_viral_surges_more(detector_class: type[Detector], data: Path) -> None:
    frame = ReportFrame.from_simulation(data)
    burst = BurstDetector().fit(frame)
    waves = burst.find_waves(frame)
    wave_reports = burst.wave_reports(frame, waves)
    found = detector_class().fit(frame).waves(wave_reports, frame)
    targets = json.loads((data / "truth.json").read_text())["targets"]
    kinds = waves.select("wave", "target_id").with_columns(
        pl.when(pl.col("target_id").is_in(targets["viral"]))
        .then(pl.lit("viral"))
        .when(pl.col("target_id").is_in(targets["brigaded"]))
        .then(pl.lit("brigaded"))
        .alias("kind")
    )
    share = dict(
        found.join(kinds, on="wave")
        .drop_nulls("kind")
        .group_by("kind")
        .agg(pl.col(detector_class.context_column).mean())
        .iter_rows()
    )
    assert share["viral"] > share["brigaded"]


@pytest.fixture(params=DETECTORS, ids=lambda cls: cls.__name__)
def detector_class(request: pytest.FixtureRequest) -> type[Detector]:
    return request.param  # type: ignore[no-any-return]


def test_builds_with_defaults_and_stores_parameters(detector_class: type[Detector]) -> None:
    detector = detector_class()
    signature = inspect.signature(detector_class.__init__)
    for name, parameter in signature.parameters.items():
        if name == "self":
            continue
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY, f"{name} must be keyword-only"
        assert getattr(detector, name) == parameter.default, f"{name} not stored as given"
        assert isinstance(parameter.default, IMMUTABLE), f"{name} has a mutable default"
    assert not detector.fitted
    assert repr(detector) == f"{detector_class.__name__}()"


def test_clone_is_fresh_and_equal(detector_class: type[Detector], frame: ReportFrame) -> None:
    fitted = detector_class().fit(frame)
    assert fitted.fitted
    clone = fitted.clone()
    assert type(clone) is detector_class
    assert clone.get_params() == fitted.get_params()
    assert not clone.fitted


def test_deterministic_and_pickles(
    detector_class: type[Detector], frame: ReportFrame, wave_reports: pl.DataFrame
) -> None:
    first = detector_class().fit(frame).waves(wave_reports, frame)
    second = detector_class().fit(frame)
    restored = pickle.loads(pickle.dumps(second))
    assert_frame_equal(first.sort("wave"), second.waves(wave_reports, frame).sort("wave"))
    assert_frame_equal(first.sort("wave"), restored.waves(wave_reports, frame).sort("wave"))


def test_surprises_in_range(
    detector_class: type[Detector], frame: ReportFrame, wave_reports: pl.DataFrame
) -> None:
    waves = detector_class().fit(frame).waves(wave_reports, frame)
    if detector_class.context_column is not None:  # a context: a yes or no for every wave
        assert not detector_class.surprise_columns
        assert waves[detector_class.context_column].dtype == pl.Boolean
        assert waves[detector_class.context_column].null_count() == 0
        assert waves["wave"].sort().to_list() == wave_reports["wave"].unique().sort().to_list()
        return
    assert detector_class.surprise_columns
    for column in detector_class.surprise_columns:
        values = waves[column]
        assert values.null_count() == 0
        assert values.min() >= 0  # type: ignore[operator]
        assert values.max() <= 999  # type: ignore[operator]


def test_beats_chance_on_a_generated_stream(
    detector_class: type[Detector],
    frame: ReportFrame,
    wave_reports: pl.DataFrame,
    labels: dict[int, str],
    spread_world: Path,
) -> None:
    """Brigades look more suspicious than viral surges (for burst: they are found at all); a
    context explains viral surges more often than brigades."""
    if detector_class.context_column is not None:
        _context_explains_viral_surges_more(detector_class, spread_world)
        return
    waves = detector_class().fit(frame).waves(wave_reports, frame)
    evidence = waves.select("wave", pl.sum_horizontal(detector_class.surprise_columns).alias("s"))
    by_kind: dict[str, list[float]] = {"brigaded": [], "viral": []}
    for wave, s in evidence.iter_rows():
        if wave in labels:
            by_kind[labels[wave]].append(s)
    assert by_kind["brigaded"], "no brigaded wave was proposed"
    if detector_class is BurstDetector:
        assert len(by_kind["brigaded"]) >= 10  # 11 brigaded targets in the small preset
    else:
        brigaded = sum(by_kind["brigaded"]) / len(by_kind["brigaded"])
        viral = sum(by_kind["viral"]) / max(1, len(by_kind["viral"]))
        assert brigaded > viral
