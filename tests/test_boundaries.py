"""Campaign boundaries on hand-made graphs and report logs whose answers can be worked out."""

from __future__ import annotations

import polars as pl

from reportguard.detect.boundaries import (
    split_by_support,
    target_evidence,
    target_sentence,
)
from reportguard.detect.graph import backbone, communities

HOUR = 3600


def _reports(rows: list[tuple[str, str, int]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=["reporter_id", "target_id", "t"], orient="row")


def test_two_rings_joined_by_one_bridge_are_two_communities() -> None:
    ring_a = [(a, b, 3.0) for a in range(6) for b in range(a + 1, 6)]
    ring_b = [(a, b, 3.0) for a in range(10, 16) for b in range(a + 1, 16)]
    bridge = [(5, 10, 3.0)]  # one member of each ring also met once elsewhere
    assert communities([*ring_a, *ring_b, *bridge]) == [list(range(6)), list(range(10, 16))]
    # Deterministic: the same seed gives the same partition.
    assert communities([*ring_b, *bridge, *ring_a], seed=3) == communities(
        [*ring_a, *ring_b, *bridge], seed=3
    )


def test_heavy_reporters_meeting_by_volume_are_not_linked() -> None:
    # Two flaggers each in 400 cells of a busy log; two light members in 4 cells each.
    cells = []
    for c in range(400):
        cells += [(1, c, 0), (2, c + 200, 0)]  # flaggers overlap on 200 cells by volume
    for c in range(1000, 1004):
        cells += [(3, c, 0), (4, c, 0)]
    for c in range(5000):  # the rest of the platform: singletons and pairs
        cells.append((100 + c, 9000 + c // 2, 0))
    frame = pl.DataFrame(cells, schema=["r", "g", "w"], orient="row")
    meetings = pl.DataFrame(
        {"r": [1, 3], "r_b": [2, 4], "targets": [200, 4], "weight": [50.0, 2.0]}
    )
    kept = backbone(meetings, frame, min_ratio=10.0, min_surprise=3.0)
    assert kept.select("r", "r_b").rows() == [(3, 4)]
    flaggers = backbone(meetings, frame, min_ratio=0.0, min_surprise=0.0).filter(pl.col("r") == 1)
    assert flaggers["ratio"][0] < 10  # 200 meetings are about what 400 x 400 cells predict


def test_a_target_counts_only_where_the_group_dominates_its_crowd() -> None:
    members = [f"m{i}" for i in range(10)]
    rows = []
    # The victim: 9 of its 10 reporters in that hour are members.
    rows += [(m, "victim", 1000 + i * 60) for i, m in enumerate(members[:9])]
    rows += [("stranger", "victim", 1500)]
    # A viral target: 3 members joined a crowd of 400 strangers.
    rows += [(m, "viral", 50_000 + i) for i, m in enumerate(members[:3])]
    rows += [(f"o{i}", "viral", 50_000 + i * 5) for i in range(400)]
    # Camouflage: one member alone on some other account.
    rows += [("m0", "elsewhere", 90_000)]
    # The rest of the platform, so the group is a small share of all reporters.
    rows += [(f"p{i}", f"x{i}", 200_000 + i) for i in range(5000)]
    log = _reports(rows)
    group = log.filter(pl.col("reporter_id").is_in(members))
    table = target_evidence(
        group, log, group_size=len(members), active_reporters=log["reporter_id"].n_unique()
    )
    kept = dict(zip(table["target_id"], table["kept"], strict=True))
    assert kept == {"elsewhere": False, "victim": True, "viral": False}
    victim = table.filter(pl.col("target_id") == "victim").row(0, named=True)
    assert (victim["members"], victim["crowd"]) == (9, 10)
    sentence = target_sentence(victim)
    assert sentence.startswith("9 of the 10 accounts that reported victim on ")
    assert "P < 1e-" in sentence


def test_on_a_small_platform_a_crowd_the_group_dominates_still_counts() -> None:
    # 40 raiders among 340 active reporters: chance share 12%, so a ratio of 10 is unreachable.
    raiders = [f"n{i}" for i in range(40)]
    rows = [(m, "victim", 1000 + i * 20) for i, m in enumerate(raiders)]
    rows += [(f"u{i}", f"t{i % 200}", 100_000 + i) for i in range(300)]
    rows += [("u1", "victim", 1500)]  # one ordinary reporter in the crowd as well
    log = _reports(rows)
    group = log.filter(pl.col("reporter_id").is_in(raiders))
    active = log["reporter_id"].n_unique()
    table = target_evidence(group, log, group_size=len(raiders), active_reporters=active)
    assert table.filter(pl.col("target_id") == "victim")["kept"].to_list() == [True]
    # Half the crowd is not dominance: there the ratio bar still holds and refuses it.
    rows += [(f"u{i}", "victim", 1100 + i) for i in range(2, 41)]
    log = _reports(rows)
    group = log.filter(pl.col("reporter_id").is_in(raiders))
    table = target_evidence(group, log, group_size=len(raiders), active_reporters=active)
    assert table.filter(pl.col("target_id") == "victim")["kept"].to_list() == [False]


def test_heavy_reporters_filling_crowds_by_their_breadth_are_no_campaign() -> None:
    # Eight busy hosts (or trusted flaggers) each report the same 500 accounts over ten days;
    # a hundred others report one account each. Every crowd is all hosts: by headcount (8 of
    # 108 reporters) that is far beyond chance, by activity (4,000 of 4,100 pairs) it is not.
    hosts = [f"h{i}" for i in range(8)]
    rows = [(h, f"t{j}", j * 1700 + i) for j in range(500) for i, h in enumerate(hosts)]
    rows += [(f"p{i}", f"x{i}", 3_000 + i) for i in range(100)]
    log = _reports(rows)
    group = log.filter(pl.col("reporter_id").is_in(hosts))
    active = log["reporter_id"].n_unique()
    pairs = log.select("reporter_id", "target_id").unique()
    activity = pairs.filter(pl.col("reporter_id").is_in(hosts)).height / pairs.height
    assert activity == 4000 / 4100
    by_headcount = target_evidence(group, log, group_size=8, active_reporters=active)
    assert by_headcount["kept"].all()
    by_activity = target_evidence(
        group, log, group_size=8, active_reporters=active, activity=activity
    )
    assert not by_activity["kept"].any()
    # A raid of one-shot accounts keeps its headcount share: activity never lowers the bar.
    raiders = [f"n{i}" for i in range(30)]
    raid = _reports([*rows, *((m, "victim", 500_000 + i * 20) for i, m in enumerate(raiders))])
    table = target_evidence(
        raid.filter(pl.col("reporter_id").is_in(raiders)),
        raid,
        group_size=30,
        active_reporters=raid["reporter_id"].n_unique(),
        activity=30 / 4130,
    )
    assert table["kept"].to_list() == [True]


def test_targets_behind_different_members_split_into_campaigns() -> None:
    support = {
        "t1": {"a", "b", "c", "d"},
        "t2": {"a", "b", "c"},
        "t3": {"x", "y", "z", "d"},  # one shared member (d) is not a shared campaign
        "t4": {"x", "y", "z"},
    }
    assert split_by_support(support, overlap=0.3) == [["t1", "t2"], ["t3", "t4"]]
    assert split_by_support({"t1": {"a"}}) == [["t1"]]
