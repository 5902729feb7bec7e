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
) -> None:
    """Brigades look more suspicious than viral surges (for burst: they are found at all)."""
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
