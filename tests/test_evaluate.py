"""Every metric of the harness is right on small hand-made cases where the answer is known."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from reportguard.evaluate.harness import DetectedCampaign, DetectionResult, Truth, evaluate
from reportguard.evaluate.metrics import jaccard, median, ndcg_at_k, precision_at_k, prf

T0 = int(datetime(2026, 9, 1, tzinfo=UTC).timestamp())


def test_prf_edges() -> None:
    assert prf(set(), {"a"}).as_dict() | {} == {
        "precision": 1.0,
        "recall": 0.0,
        "f1": 0.0,
        "tp": 0,
        "predicted": 0,
        "actual": 1,
    }
    assert prf({"a"}, {"a"}).f1 == 1.0
    r = prf({"a", "b"}, {"b", "c", "d"})
    assert (r.precision, round(r.recall, 4), r.f1) == (0.5, 0.3333, 0.4)


def test_rankings() -> None:
    relevant = {"v1", "v2", "v3"}
    assert precision_at_k(["v1", "i1", "v2", "i2"], relevant, 4) == 0.5
    assert precision_at_k(["v1"], relevant, 4) == 0.25  # a short list counts its gaps as misses
    perfect = ndcg_at_k(["v1", "v2", "v3", "i1"], relevant, 4)
    worse = ndcg_at_k(["i1", "v1", "v2", "v3"], relevant, 4)
    assert perfect == 1.0
    assert worse == pytest.approx((1 / 1.585 + 1 / 2 + 1 / 2.3219) / (1 + 1 / 1.585 + 1 / 2), 1e-3)
    with pytest.raises(ValueError, match="positive"):
        precision_at_k([], relevant, 0)
    assert jaccard(set(), set()) == 0.0
    assert median([5.0]) == 5.0


def _hand_made(tmp_path: Path) -> Truth:
    """Two planted campaigns, one viral surge, organic noise: every number is countable by hand."""
    rows = []

    def add(  # noqa: PLR0917 - one row of the table, in column order
        n: int, reporter: str, target: str, label: str, campaign: int | None, minute: int
    ) -> None:
        rows.append(
            {
                "report_id": f"r{n}",
                "reporter_id": reporter,
                "target_id": target,
                "label": label,
                "campaign": campaign,
                "created_at": T0 + minute * 60,
            }
        )

    n = 0
    for i in range(10):  # campaign 0: sockpuppets s0..s9 against victim v0, minutes 100..109
        add(n := n + 1, f"s{i}", "v0", "campaign", 0, 100 + i)
    for i in range(4):  # campaign 1: real accounts m0..m3 against v1, and camouflage elsewhere
        add(n := n + 1, f"m{i}", "v1", "campaign", 1, 200 + i)
        add(n := n + 1, f"m{i}", "x9", "camouflage", 1, 50 + i)
    for i in range(6):  # a viral surge against violator b0
        add(n := n + 1, f"o{i}", "b0", "viral", None, 300 + i)
    for i in range(5):  # organic reports against violator b1 and innocent z1
        add(n := n + 1, f"o{i}", "b1", "organic", None, 400 + i)
    add(n := n + 1, "o9", "z1", "organic", None, 500)
    pl.DataFrame(rows, schema_overrides={"campaign": pl.Int32}).write_parquet(
        tmp_path / "truth_reports.parquet"
    )
    doc = {
        "campaigns": [
            {
                "campaign": 0,
                "composition": "sockpuppet",
                "camouflaged": False,
                "members": [f"s{i}" for i in range(10)],
                "targets": ["v0"],
            },
            {
                "campaign": 1,
                "composition": "community",
                "camouflaged": True,
                "members": [f"m{i}" for i in range(4)] + ["m_never_acted"],
                "targets": ["v1"],
            },
        ],
        "targets": {
            "violating": ["b0", "b1"],
            "brigaded": ["v0", "v1"],
            "viral": ["b0"],
            "popular_innocent": [],
        },
    }
    (tmp_path / "truth.json").write_text(json.dumps(doc))
    return Truth(tmp_path)


def test_harness_on_a_hand_made_world(tmp_path: Path) -> None:
    truth = _hand_made(tmp_path)
    result = DetectionResult(
        detector="hand",
        campaigns=[
            # finds 8 of 10 sockpuppets plus one innocent o0; flagged at minute 104
            DetectedCampaign(
                members=[f"s{i}" for i in range(8)] + ["o0"],
                targets=["v0"],
                first_flagged_at=datetime.fromtimestamp(T0 + 104 * 60, UTC),
            ),
            # wrongly calls the viral surge a campaign
            DetectedCampaign(members=[f"o{i}" for i in range(6)], targets=["b0"]),
        ],
        queue=["b1", "b0", "z1", "v0"],
        automated_actions=["b0", "z1"],
    )
    score = evaluate(truth, result)
    # Members: predicted s0..s7 + o0..o5 = 14; true active = s0..s9 + m0..m3 = 14; tp = 8.
    assert score["members"] | {} == {
        "precision": round(8 / 14, 4),
        "recall": round(8 / 14, 4),
        "f1": round(8 / 14, 4),
        "tp": 8,
        "predicted": 14,
        "actual": 14,
    }
    groups = score["members_by_group"]
    assert (
        groups["sockpuppet"]["tp"],
        groups["sockpuppet"]["predicted"],
        groups["sockpuppet"]["actual"],
    ) == (8, 9, 10)
    assert groups["camouflaged"]["recall"] == 0.0  # m_never_acted is not counted as missed
    assert groups["camouflaged"]["actual"] == 4
    assert groups["real-account"]["f1"] is None  # none planted: no score, not a vacuous 1.0
    # Reports: derived from members x targets: s0..s7 -> v0 (8 true) + o0..o5 -> b0 (6 false).
    assert (score["reports"]["tp"], score["reports"]["predicted"], score["reports"]["actual"]) == (
        8,
        14,
        14,
    )
    assert score["targets"] == {
        "brigaded": 2,
        "brigaded_found": 1,
        "viral": 1,
        "viral_called_campaign": 1,
        "viral_false_campaign_rate": 1.0,
        "other_targets_called_campaign": 1,
        # v0 and b0 listed; b0 is a real violator a campaign would wrongly shield.
        "listed": 2,
        "precision": 0.5,
        "violators_listed": 1,
        "innocent_listed": 0,
    }
    first = score["campaigns"][0]
    assert (first["reports_to_detect"], first["minutes_to_detect"]) == (5, 4.0)
    assert score["campaigns"][1]["found"] is False
    queue = score["triage"]["queue"]
    assert queue["p@10"] == 0.2
    assert score["triage"]["count_baseline"]["p@10"] == 0.2
    assert queue["brigaded_in_top_50"] == 1
    assert score["harm"]["innocent_actioned_automatically"] == 1


def test_a_prediction_without_a_shared_target_is_not_a_detection(tmp_path: Path) -> None:
    truth = _hand_made(tmp_path)
    early = DetectedCampaign(
        members=[f"s{i}" for i in range(10)],
        targets=["elsewhere"],
        first_flagged_at=datetime.fromtimestamp(T0, UTC),
    )
    score = evaluate(truth, DetectionResult(detector="x", campaigns=[early]))
    assert score["campaigns"][0]["found"] is False
    assert score["campaigns"][0]["reports_to_detect"] is None
    targets = score["targets"]
    assert (targets["listed"], targets["precision"], targets["innocent_listed"]) == (1, 0.0, 1)
    assert targets["violators_listed"] == 0


def test_result_files_round_trip_and_bad_ones_are_named(tmp_path: Path) -> None:
    result = DetectionResult(
        detector="x", campaigns=[DetectedCampaign(members=["a"], targets=["b"])]
    )
    result.save(tmp_path / "r.json")
    assert DetectionResult.load(tmp_path / "r.json") == result
    (tmp_path / "bad.json").write_text('{"campaigns": 3}')
    from reportguard.errors import InputFileError

    with pytest.raises(InputFileError, match="not a detection result"):
        DetectionResult.load(tmp_path / "bad.json")
    with pytest.raises(InputFileError, match="no ground truth"):
        Truth(tmp_path)


def test_traced_member_f1_leaves_out_only_brigades_without_a_trace(tmp_path: Path) -> None:
    """Campaign 1 (m0..m3, nobody found) made traceless: its members count neither as found
    nor as missed. Predicted 14 (s0..s7, o0..o5), actual 14 - 4 = 10, 8 right: precision 8/14,
    recall 8/10. Give the same brigade a second target, or a link, and it counts again."""
    truth = _hand_made(tmp_path)
    result = DetectionResult(
        detector="hand",
        campaigns=[
            DetectedCampaign(members=[f"s{i}" for i in range(8)], targets=["v0"]),
            DetectedCampaign(members=[f"o{i}" for i in range(6)], targets=["b0"]),
        ],
    )
    assert evaluate(truth, result)["members_traced"]["traceless_brigades"] == 0  # no spec
    silent = {
        "composition": "community",
        "text": "empty",
        "referral": False,
        "proxy_pool": 0,
        "shared_devices": 0,
        "surfaces": {"feed": 0.5, "profile": 0.5},
        "targets": 1,
    }
    truth.campaigns[1]["spec"] = silent
    traced = evaluate(truth, result)["members_traced"]
    assert (traced["tp"], traced["predicted"], traced["actual"]) == (8, 14, 10)
    assert traced["traceless_brigades"] == 1
    assert traced["recall"] == 0.8
    for trace in ({"targets": 2}, {"referral": True}, {"surfaces": None}, {"text": "template"}):
        truth.campaigns[1]["spec"] = silent | trace
        assert evaluate(truth, result)["members_traced"]["actual"] == 14, trace
