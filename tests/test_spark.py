"""The Spark engine gives the in-process engine's answer.

Runs PySpark in local mode with one session shared by every test (starting one takes seconds).
Without PySpark these tests are skipped, unless ``REPORTGUARD_REQUIRE_SPARK=1`` (set by CI) makes
that a failure. Equality is checked per signal (every wave's measured values) and per campaign
(members, targets, reports exactly; scores within ``SCORE_TOLERANCE``), on the small and medium
presets.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from tests.test_cli import run
from typer.testing import CliRunner

from reportguard.cli.main import app
from reportguard.detect.campaigns import CampaignDetector, Detection, FoundCampaign
from reportguard.detect.frame import ReportFrame
from reportguard.detect.signals import SIGNALS
from reportguard.errors import InputFileError, ReportGuardError
from reportguard.simulate import preset, simulate

#: The near-duplicate baseline is a random sample of texts drawn by each engine's own sampler,
#: so scores may differ slightly; everything else is computed exactly alike.
SCORE_TOLERANCE = 0.01


def _missing(why: str) -> None:
    if os.environ.get("REPORTGUARD_REQUIRE_SPARK") == "1":
        pytest.fail(f"REPORTGUARD_REQUIRE_SPARK=1 but {why}")
    pytest.skip(why)


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        _missing("PySpark is not installed: pip install 'reportguard[spark]'")
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        _missing(
            "Java is not installed (Spark needs Java 17: apt-get install openjdk-17-jre-headless)"
        )
    from reportguard.spark.session import spark_session

    session = spark_session(
        "local[2]", {"spark.driver.memory": "2g", "spark.sql.shuffle.partitions": "4"}
    )
    yield session
    session.stop()


@dataclass
class Both:
    local: Detection
    spark: Any  # SparkDetection
    spark_waves: pl.DataFrame
    folder: Path


def _run_both(folder: Path) -> Both:
    from reportguard.spark.engine import SparkCampaignDetector
    from reportguard.spark.log import read_log
    from reportguard.spark.run import LogLocation
    from reportguard.spark.session import spark_session

    local = CampaignDetector.default().run(ReportFrame.from_simulation(folder))
    location = LogLocation.resolve(str(folder))
    log = read_log(spark_session(), location.reports, location.accounts)
    on_spark = SparkCampaignDetector().run(log)
    waves = pl.from_pandas(on_spark.waves.toPandas())
    return Both(local, on_spark, waves, folder)


@pytest.fixture(scope="session")
def small_both(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> Both:
    folder = tmp_path_factory.mktemp("small-parquet")
    # Viral content spreads and brigades dig through profiles, so every context is exercised.
    simulate(preset("small").model_copy(update={"content_spread": True}), folder, fmt="parquet")
    return _run_both(folder)


@pytest.fixture(scope="session")
def medium_both(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> Both:
    folder = tmp_path_factory.mktemp("medium-parquet")
    simulate(preset("medium"), folder, fmt="parquet")
    return _run_both(folder)


def _assert_same_campaigns(local: list[FoundCampaign], spark: list[FoundCampaign]) -> None:
    assert local, "the preset plants campaigns: an empty answer would compare equal"
    assert [c.key for c in spark] == [c.key for c in local]
    for mine, theirs in zip(local, spark, strict=True):
        assert theirs.members == mine.members
        assert theirs.targets == mine.targets
        assert sorted(theirs.report_ids) == sorted(mine.report_ids)
        assert (theirs.first_report_at, theirs.last_report_at) == (
            mine.first_report_at,
            mine.last_report_at,
        )
        assert abs(theirs.score - mine.score) <= SCORE_TOLERANCE
        assert [e["signal"] for e in theirs.evidence] == [e["signal"] for e in mine.evidence]


def test_same_campaigns_on_small(small_both: Both) -> None:
    _assert_same_campaigns(small_both.local.campaigns, small_both.spark.campaigns)
    assert (small_both.spark.examined, small_both.spark.flagged) == (
        small_both.local.examined,
        small_both.local.flagged,
    )


@pytest.mark.slow
def test_same_campaigns_on_medium(medium_both: Both) -> None:
    _assert_same_campaigns(medium_both.local.campaigns, medium_both.spark.campaigns)
    assert medium_both.spark.flagged == medium_both.local.flagged


# Per signal: every wave's measured values, by the same names in both engines. A new signal
# joins this list and the Spark registry, and is then held to the same test.
EXACT = {
    "BurstDetector": ["burst_surprise", "expected", "window", "end", "wave_start"],
    "ReporterRisk": [
        "reporters",
        "young",
        "known",
        "cluster",
        "cluster_start",
        "young_surprise",
        "cluster_baseline",
        "cluster_surprise",
    ],
    "SharedInfrastructure": ["addresses", "sharing", "infra_baseline", "infra_surprise"],
    "Referral": ["reports", "referrer", "referred", "referral_baseline", "referral_surprise"],
    "NearDuplicateText": ["texts", "largest_cluster", "dup_pairs"],
    "Lockstep": ["lockstep_reporters", "in_lockstep", "lockstep_baseline", "lockstep_surprise"],
    "RepeatGroup": ["repeat_shared", "repeat_surprise"],
    "Arrival": ["arrival_known", "on_profile", "arrival_baseline", "arrival_surprise"],
    "ContentSpread": ["spread_reports", "spread_item_reports", "spread_share", "spread"],
    "fusion": ["evidence", "explained", "flagged", "suspect"],
}


def _by_wave(both: Both) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Both engines' wave tables by (target, start, end): a long wave and its busiest window
    may start together, so the start alone names no wave."""

    def keyed(waves: pl.DataFrame) -> pl.DataFrame:
        key = pl.concat_str(
            [pl.col("target_id"), pl.col("start").cast(pl.Utf8), pl.col("end").cast(pl.Utf8)],
            separator="@",
        )
        return waves.with_columns(key.alias("key")).sort("key")

    return keyed(both.local.waves), keyed(both.spark_waves.drop("wave"))


@pytest.mark.parametrize("signal", list(EXACT))
def test_each_signal_measures_the_same_on_every_wave(small_both: Both, signal: str) -> None:
    local, spark = _by_wave(small_both)
    assert spark["key"].to_list() == local["key"].to_list()
    assert len(local) > 5
    assert (local["start"] != local["wave_start"]).any()  # waves judged at their peak too
    assert local["spread"].any()
    assert (local["arrival_surprise"] > 0).any()
    for column in EXACT[signal]:
        mine, theirs = local[column], spark[column]
        if mine.dtype.is_float():
            assert (mine.fill_null(0) - theirs.cast(pl.Float64).fill_null(0)).abs().max() <= 1e-6, (
                column
            )
        else:
            assert theirs.cast(mine.dtype).to_list() == mine.to_list(), column


def test_the_same_reports_are_suspected_below_a_campaigns_bar(small_both: Both) -> None:
    """With the campaign bar raised out of reach, the planted campaigns' waves fall below it:
    both engines suspect the same reports, each under its burst's key (a lockstep ring, which
    needs no wave, stays a campaign in both)."""
    from reportguard.spark.engine import SparkCampaignDetector
    from reportguard.spark.log import read_log
    from reportguard.spark.run import LogLocation
    from reportguard.spark.session import spark_session

    high = CampaignDetector.default(min_evidence=1000.0)
    local = high.run(ReportFrame.from_simulation(small_both.folder)).suspects
    assert local["suspect"].n_unique() >= 5
    location = LogLocation.resolve(str(small_both.folder))
    log = read_log(spark_session(), location.reports, location.accounts)
    on_spark = SparkCampaignDetector(high).run(log)
    assert [c.key for c in on_spark.campaigns] == [
        c.key for c in high.run(ReportFrame.from_simulation(small_both.folder)).campaigns
    ]  # a lockstep ring, no wave
    spark = {
        (r["report_id"], r["suspect"])
        for r in on_spark.report_scores.filter("suspect IS NOT NULL")
        .select("report_id", "suspect")
        .collect()
    }
    assert spark == set(local.iter_rows())


def test_a_young_platforms_horizon_is_the_same_in_both_engines(small_both: Both) -> None:
    """Where more than ``max_young_share`` of reporters are young, the horizon shrinks to a
    quantile of their ages, in whole hours: Spark's approximate quantile gives the same one."""
    from reportguard.detect.signals.reporter_risk import ReporterRisk
    from reportguard.spark import reporter_risk as on_spark
    from reportguard.spark.log import read_log
    from reportguard.spark.run import LogLocation
    from reportguard.spark.session import spark_session

    detector = ReporterRisk(max_young_share=0.01)  # small's reporters: 4% under 30 days
    local = detector.clone().fit(ReportFrame.from_simulation(small_both.folder))
    location = LogLocation.resolve(str(small_both.folder))
    log = read_log(spark_session(), location.reports, location.accounts)
    remote = on_spark.fit(detector.clone(), log).detector
    assert local.young_days_ < 30  # the rule took effect
    assert remote.young_days_ == local.young_days_
    assert abs(remote.young_share_ - local.young_share_) < 1e-9
    assert abs(remote.median_age_days_ - local.median_age_days_) < 1.0


def test_text_fires_on_the_same_waves(small_both: Both) -> None:
    local, spark = _by_wave(small_both)
    fired = (local["text_surprise"] > 0).to_list()
    assert any(fired)
    assert (spark["text_surprise"] > 0).to_list() == fired


def test_every_signal_has_a_spark_implementation() -> None:
    from reportguard.spark.engine import implementation

    for signal in SIGNALS:
        module = implementation(signal())
        assert all(callable(getattr(module, f)) for f in ("fit", "waves", "traits"))
        assert signal.__name__ in EXACT


def test_a_signal_without_spark_implementation_is_refused() -> None:
    from reportguard.detect.signals.base import Detector
    from reportguard.spark.engine import implementation

    class Novel(Detector):
        pass

    with pytest.raises(NotImplementedError, match="Novel has no Spark implementation"):
        implementation(Novel())


def test_components_on_a_hand_made_graph(spark: Any) -> None:
    from reportguard.spark.components import components

    edges = spark.createDataFrame(
        [("a", "b"), ("c", "b"), ("c", "d"), ("x", "y"), ("d", "d")], "a string, b string"
    )
    nodes = spark.createDataFrame([("lone",), ("a",)], "node string")
    found = {row["node"]: row["component"] for row in components(edges, nodes).collect()}
    assert found == {"a": "a", "b": "a", "c": "a", "d": "a", "x": "x", "y": "x", "lone": "lone"}


# --- a tiny hand-made log for the command line, spark-submit and bad input --------------------


def _tiny_log(folder: Path, *, raw_ip: str = "203.0.113.7") -> Path:
    """300 ordinary reporters over 10 days, and 40 week-old accounts on one victim in 15 min."""
    rng = random.Random(4)
    day, start = 86_400, 1_700_000_000
    accounts = [
        {
            "account_id": f"u{i}",
            "created_at": start - rng.randint(400, 2000) * day,
            "followers": rng.randint(0, 500),
        }
        for i in range(300)
    ] + [
        {
            "account_id": f"n{i}",
            "created_at": start + 9 * day - rng.randint(0, 3600),
            "followers": 0,
        }
        for i in range(40)
    ]
    accounts.append({"account_id": "victim", "created_at": start - 900 * day, "followers": 80})
    reports = [
        {
            "report_id": f"r{i}",
            "reporter_id": f"u{rng.randrange(300)}",
            "target_id": f"t{rng.randrange(200)}",
            "created_at": start + rng.randrange(10 * day),
            "reason": "spam",
            "text": rng.choice(["spam", "looks fake to me", None]),
            "referrer": None,
            "ip": f"198.51.{rng.randrange(250)}.{rng.randrange(250)}",
        }
        for i in range(1500)
    ] + [
        {
            "report_id": f"b{i}",
            "reporter_id": f"n{i}",
            "target_id": "victim",
            "created_at": start + 9 * day + 7200 + i * 20,
            "reason": "harassment",
            "text": f"this user harasses everyone, ban them now {'!' * (i % 3)}",
            "referrer": "https://forum.example/thread/raid",
            "ip": raw_ip if i % 4 == 0 else None,
        }
        for i in range(40)
    ]
    folder.mkdir(parents=True, exist_ok=True)
    frame = pl.DataFrame(reports, infer_schema_length=None).with_columns(
        pl.from_epoch("created_at", time_unit="s").dt.replace_time_zone("UTC")
    )
    frame.write_parquet(folder / "reports.parquet")
    pl.DataFrame(accounts).with_columns(
        pl.from_epoch("created_at", time_unit="s").dt.replace_time_zone("UTC")
    ).write_parquet(folder / "accounts.parquet")
    return folder


def test_detect_engine_spark_writes_parquet_and_stores(
    spark: Any, tmp_path: Path, sqlite_url: str
) -> None:
    log = _tiny_log(tmp_path / "log")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "--db",
            sqlite_url,
            "detect",
            "--engine",
            "spark",
            "--reports",
            str(log),
            "--output",
            str(out),
            "--json",
            str(tmp_path / "found.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "1 campaign from 1 of" in result.output
    found = json.loads((tmp_path / "found.json").read_text())["campaigns"]
    assert len(found) == 1
    assert found[0]["targets"] == ["victim"]
    assert found[0]["members"] == sorted(f"n{i}" for i in range(40))
    campaigns = pl.read_parquet(out / "campaigns" / "*.parquet")
    assert campaigns["campaign_key"].to_list() == [found[0]["key"]]
    assert len(pl.read_parquet(out / "campaign_reports" / "*.parquet")) == 40
    scores = pl.read_parquet(out / "report_scores" / "*.parquet")
    assert scores.filter(pl.col("campaign_key").is_not_null()).height == 40
    # The raw address never leaves the reader: no output file carries it.
    for path in out.rglob("*.parquet"):
        assert b"203.0.113.7" not in path.read_bytes()

    stats = CliRunner().invoke(app, ["--db", sqlite_url, "stats", "--json"])
    assert json.loads(stats.output)["campaigns"] == 1


def test_a_remote_servers_flags_are_not_read_on_spark(spark: Any, tmp_path: Path) -> None:
    from reportguard.spark.log import read_log

    folder = tmp_path / "log"
    folder.mkdir()
    pl.DataFrame(
        {
            "report_id": ["r1", "r2", "r3"],
            "reporter_id": ["u1", "https://remote.example/actor", "u2"],
            "target_id": ["t1", "t1", "t2"],
            "created_at": [1_700_000_000, 1_700_000_060, 1_700_000_120],
            "reporter_kind": [None, "server", "person"],
        }
    ).write_parquet(folder / "reports.parquet")
    log = read_log(spark, str(folder / "reports.parquet"))
    assert sorted(r["report_id"] for r in log.reports.collect()) == ["r1", "r3"]


def test_spark_submit_entry_point(
    spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from reportguard.spark.submit import main

    log = _tiny_log(tmp_path / "log")
    assert main(["--reports", str(log), "--output", str(tmp_path / "out")]) == 0
    assert "1 campaign from" in capsys.readouterr().out
    assert main(["--path"]) == 0
    assert capsys.readouterr().out.strip().endswith("reportguard/spark/submit.py")


def test_raw_addresses_are_hashed_as_read(spark: Any, tmp_path: Path) -> None:
    from reportguard.spark.log import read_log

    pl.DataFrame(
        {
            "report_id": ["r1", "r2", "r3", "r4", "r5"],
            "reporter_id": ["a", "b", "c", "d", "e"],
            "target_id": ["x"] * 5,
            "created_at": ["2026-01-01T10:00:00Z"] * 5,
            "ip": [
                "203.0.113.9",
                " ::FFFF:203.0.113.9",
                "0:0:0:0:0:ffff:203.0.113.9",
                "198.51.100.1",
                "2001:db8::ffff:203.0.113.9",
            ],
        }
    ).write_parquet(tmp_path / "log.parquet")
    rows = read_log(spark, str(tmp_path / "log.parquet")).reports.orderBy("report_id").collect()
    hashes = [row["ip_hash"] for row in rows]
    assert hashes[0] == hashes[1] == hashes[2]
    assert len({hashes[0], hashes[3], hashes[4]}) == 3  # another address, another network
    assert all(len(h) == 64 and "203.0" not in h for h in hashes)
    # A row's own hash is kept; a row without one has its raw address hashed (as in process).
    pl.DataFrame(
        {
            "report_id": ["r1", "r2"],
            "reporter_id": ["a", "b"],
            "target_id": ["x", "x"],
            "created_at": ["2026-01-01T10:00:00Z"] * 2,
            "ip": ["203.0.113.9", "203.0.113.9"],
            "ip_hash": ["own", None],
        }
    ).write_parquet(tmp_path / "log.parquet")
    rows = read_log(spark, str(tmp_path / "log.parquet")).reports.orderBy("report_id").collect()
    assert rows[0]["ip_hash"] == "own"
    assert len(rows[1]["ip_hash"]) == 64


def test_a_log_without_a_required_column_is_refused(spark: Any, tmp_path: Path) -> None:
    from reportguard.spark.log import read_log

    pl.DataFrame(
        {"report_id": ["r1"], "reporter_id": ["a"], "created_at": ["2026-01-01"]}
    ).write_parquet(tmp_path / "bad.parquet")
    with pytest.raises(InputFileError, match="no column target_id"):
        read_log(spark, str(tmp_path / "bad.parquet"))


def test_a_record_with_an_unreadable_time_is_named(spark: Any, tmp_path: Path) -> None:
    from reportguard.spark.log import read_log

    pl.DataFrame(
        {
            "report_id": ["r1", "r2", "r3"],
            "reporter_id": ["a", "b", "c"],
            "target_id": ["x", "x", "x"],
            "created_at": ["2026-01-01T10:00:00Z", "yesterday", "2026-01-01T10:05:00Z"],
        }
    ).write_parquet(tmp_path / "bad.parquet")
    with pytest.raises(ReportGuardError, match=r"report r2: created_at is missing or not a time"):
        read_log(spark, str(tmp_path / "bad.parquet"))


def test_spark_options_need_the_spark_engine(
    sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "--db", sqlite_url, "detect", "--master", "local[2]")
    assert code == 1
    assert "are for --engine spark" in err
    # A log is no longer Spark's alone (the local engine reads one too), but an empty folder is
    # no log.
    code, _, err = run(capsys, "--db", sqlite_url, "detect", "--reports", str(tmp_path))
    assert code != 0
    assert "no Parquet or JSON Lines file of reports in it" in err


def test_the_spark_engine_needs_a_log(sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--db", sqlite_url, "detect", "--engine", "spark")
    assert code == 1
    assert "give --reports" in err
