"""Campaign detection on hand-made streams where the answer is known, hard negatives included."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

from reportguard.detect.campaigns import CampaignDetector
from reportguard.detect.frame import REPORT_COLUMNS, ReportFrame
from reportguard.detect.persist import store_campaigns
from reportguard.detect.report_scores import campaign_evidence, score_reports
from reportguard.store.database import create_engine
from reportguard.store.models import Campaign, CampaignMember, CampaignReport

T0 = int(datetime(2026, 9, 1, tzinfo=UTC).timestamp())
DAY = 86_400


class Stream:
    """A small platform: 3,000 old accounts reporting each other at a trickle for 20 days."""

    def __init__(self, seed: int = 5) -> None:
        self.rng = random.Random(seed)
        self.reports: list[dict[str, object]] = []
        self.accounts: dict[str, dict[str, object]] = {}
        for i in range(3000):
            self.account(
                f"u{i}",
                age_days=self.rng.randint(200, 3000),
                followers=int(self.rng.paretovariate(1.3) * 20),
            )
        phrases = [
            "keeps insulting me",
            "spam links everywhere",
            "fake profile",
            "scam",
            "threatening messages",
            "",
            "",
            "posts hateful stuff",
            "rude",
        ]
        for _ in range(6000):
            reporter, target = self.rng.sample(range(3000), 2)
            self.report(
                f"u{reporter}",
                f"u{target}",
                T0 + self.rng.randint(0, 20 * DAY),
                text=self.rng.choice(phrases) + " " * self.rng.randint(0, 1),
                ip=f"ip-{reporter}",
            )

    def account(self, account_id: str, *, age_days: float, followers: int = 10) -> str:
        self.accounts[account_id] = {
            "account_id": account_id,
            "followers": followers,
            "posts": 10,
            "handle": account_id,
            "account_created": int(T0 - age_days * DAY),
        }
        return account_id

    def report(
        self,
        reporter: str,
        target: str,
        t: int,
        *,
        text: str | None = None,
        ip: str | None = None,
        referrer: str | None = None,
        reason: str = "spam",
    ) -> None:
        self.reports.append(
            {
                "report_id": f"r{len(self.reports)}",
                "reporter_id": reporter,
                "target_id": target,
                "content_id": None,
                "reason": reason,
                "text": text,
                "t": t,
                "referrer": referrer,
                "ip_hash": ip,
                "device_hash": None,
            }
        )

    def frame(self) -> ReportFrame:
        return ReportFrame(
            reports=pl.DataFrame(self.reports, infer_schema_length=None),
            accounts=pl.DataFrame(list(self.accounts.values())),
        )


def test_sockpuppet_brigade_is_found_and_explained() -> None:
    s = Stream()
    members = [s.account(f"fresh{i}", age_days=2 + i / 50, followers=0) for i in range(40)]
    for i, member in enumerate(members):
        s.report(
            member,
            "u7",
            T0 + 10 * DAY + i * 15,
            text="this account spreads hate, ban it now" + "!" * (i % 3),
            ip=f"proxy-{i % 3}",
            referrer="https://forum.example.net/t/raid",
        )
    found = CampaignDetector.default().run(s.frame()).campaigns
    assert len(found) == 1
    (campaign,) = found
    assert set(campaign.members) == set(members)
    assert campaign.targets == ["u7"]
    signals = {e["signal"] for e in campaign.evidence}
    assert {
        "burst",
        "young_accounts",
        "shared_infrastructure",
        "near_duplicate_text",
        "referral",
    } <= signals
    young = next(e for e in campaign.evidence if e["signal"] == "young_accounts")
    # The sentence measures the wave: the 40 members and one bystander who reported u7 then.
    assert young["sentence"].startswith("40 of 41 reporters' accounts were under 30 days old")


def test_organic_viral_wave_against_a_violator_is_not_a_campaign() -> None:
    """The hard negative: hundreds of old, unrelated accounts, varied text, over a day."""
    s = Stream()
    s.accounts["u9"]["followers"] = 5000
    texts = [
        "disgusting post",
        "this is hate speech",
        "report this",
        "why is this allowed",
        "so offensive",
        "",
        "",
        "please remove",
        "awful",
        "hate",
    ]
    for _ in range(400):
        reporter = f"u{s.rng.randrange(3000)}"
        s.report(
            reporter,
            "u9",
            T0 + 12 * DAY + int(s.rng.gammavariate(2, 4 * 3600)),
            text=s.rng.choice(texts) + " " + str(s.rng.randrange(1000)),
            ip=f"ip-{reporter}",
            referrer=f"https://social.example.com/p/{s.rng.randrange(10**9):x}",
        )
    detection = CampaignDetector.default().run(s.frame())
    assert detection.campaigns == []
    wave = detection.waves.filter(pl.col("target_id") == "u9")
    assert len(wave) >= 1  # the burst is seen...
    assert not wave["flagged"].any()  # ...and judged organic


def test_ring_of_old_accounts_moving_between_targets_is_one_campaign() -> None:
    """No fresh accounts, no shared addresses, no text: only the same group reappearing."""
    s = Stream()
    ring = [f"u{i}" for i in range(100, 135)]
    victims = ["u2001", "u2002", "u2003"]
    for k, victim in enumerate(victims):
        for j, member in enumerate(ring):
            s.report(member, victim, T0 + (4 + 5 * k) * DAY + j * 40, ip=f"ip-{member}")
    found = CampaignDetector.default().run(s.frame()).campaigns
    assert len(found) == 1
    assert found[0].targets == victims
    assert set(found[0].members) == set(ring)
    assert any(e["signal"] == "ring" for e in found[0].evidence)


def test_small_ring_below_any_burst_is_found_by_lockstep() -> None:
    """8 old accounts hitting 15 targets, one report each: mostly too few to burst."""
    s = Stream()
    ring = [f"u{i}" for i in range(300, 308)]
    victims = [f"u{i}" for i in range(2100, 2115)]
    for k, victim in enumerate(victims):
        for j, member in enumerate(ring):
            s.report(member, victim, T0 + k * DAY + 3600 * (k % 5) + j * 60, ip=f"ip-{member}")
    detection = CampaignDetector.default().run(s.frame())
    waves = detection.waves.filter(pl.col("target_id").is_in(victims))
    assert len(waves) < len(victims)  # most victims drew no burst at all
    (campaign,) = detection.campaigns
    assert set(campaign.members) == set(ring)
    assert campaign.targets == sorted(victims)
    assert any(e["signal"] == "lockstep" for e in campaign.evidence)


def test_quiet_stream_has_no_campaigns() -> None:
    detection = CampaignDetector.default().run(Stream().frame())
    assert detection.campaigns == []


def test_empty_frame() -> None:
    empty = ReportFrame(reports=pl.DataFrame(schema=REPORT_COLUMNS), accounts=pl.DataFrame())
    assert CampaignDetector.default().run(empty).campaigns == []


def test_detection_is_stored_idempotently(small_simulation: Path, db_url: str) -> None:
    """From the database (SQLite and PostgreSQL) the same campaigns as from the files."""
    from tests.conftest import TEST_KEY

    from reportguard.ingest.hashing import IdentifierHasher
    from reportguard.ingest.importer import Importer

    engine = create_engine(db_url)
    importer = Importer(engine, IdentifierHasher(TEST_KEY.encode()))
    importer.import_file(small_simulation / "accounts.jsonl")
    importer.import_file(small_simulation / "reports.jsonl")
    frame = ReportFrame.from_database(engine)
    from_files = ReportFrame.from_simulation(small_simulation)
    assert len(frame) == len(from_files)
    assert frame.reports["t"].to_list() == from_files.reports["t"].to_list()
    first = CampaignDetector.default().run(frame).campaigns
    expected = CampaignDetector.default().run(from_files).campaigns
    # Hashing the addresses changes no grouping, so the campaigns are the same ones.
    assert [sorted(c.members) for c in first] == [sorted(c.members) for c in expected]
    store_campaigns(engine, first)
    store_campaigns(engine, CampaignDetector.default().run(frame).campaigns)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(Campaign)).scalar() == len(first)
        members = conn.execute(sa.select(sa.func.count()).select_from(CampaignMember)).scalar()
        reports = conn.execute(sa.select(sa.func.count()).select_from(CampaignReport)).scalar()
    assert members == sum(len(c.members) for c in first)
    assert reports == sum(len(c.report_ids) for c in first)
    # A time range reads only the reports inside it.
    start = from_files.start + 10 * DAY
    ranged = ReportFrame.from_database(engine, since=start, until=start + DAY)
    assert (
        len(ranged)
        == from_files.reports.filter((pl.col("t") >= start) & (pl.col("t") < start + DAY)).height
    )
    engine.dispose()


@pytest.mark.parametrize("preset_name", ["small"])
def test_simulated_quality_floor(small_simulation: Path, preset_name: str) -> None:
    """A floor, not the benchmark: the full figures are in benchmarks/README.md."""
    from reportguard.evaluate.harness import DetectionResult, Truth, evaluate

    detection = CampaignDetector.default().run(ReportFrame.from_simulation(small_simulation))
    result = DetectionResult.from_found("reportguard", None, detection.campaigns)
    score = evaluate(Truth(small_simulation), result)
    assert score["members"]["f1"] >= 0.95
    assert score["targets"]["viral_called_campaign"] == 0


def test_every_report_gets_a_score_and_campaign_reports_rank_first() -> None:
    s = Stream()
    members = [s.account(f"fresh{i}", age_days=2 + i / 50, followers=0) for i in range(40)]
    for i, member in enumerate(members):
        s.report(member, "u7", T0 + 10 * DAY + i * 15, text="ban this account now, it is hate",
                 ip=f"proxy-{i % 3}", referrer="https://forum.example.net/t/raid")  # fmt: skip
    frame = s.frame()
    (campaign,) = CampaignDetector.default().run(frame).campaigns
    scores = score_reports(frame, [campaign])
    assert scores["report_id"].sort().to_list() == frame.reports["report_id"].sort().to_list()
    ours = scores.filter(pl.col("campaign") == campaign.key)
    assert set(ours["report_id"]) == set(campaign.report_ids)
    assert ours["campaign_evidence"].min() == pytest.approx(campaign_evidence(campaign.score))
    rest = scores.filter(pl.col("campaign").is_null())
    assert ours["score"].min() > rest["score"].quantile(0.99)
    share = scores["score"] - scores["campaign_evidence"]  # the stream rank, between 0 and 1
    assert share.min() >= 0
    assert share.max() < 1
    assert (
        scores.sort("stream")["report_id"].to_list()[-1]
        == scores.sort(share)["report_id"].to_list()[-1]
    )
    # The burst alone: the raid's reports stand above the background on their own counts.
    assert ours["stream"].median() > rest["stream"].median()
