"""Triage: credibility, independent voices, the queue, and review on a real database."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from tests.conftest import TEST_KEY

from reportguard.config import TimeBounds
from reportguard.ingest.hashing import IdentifierHasher
from reportguard.ingest.importer import Importer
from reportguard.moderation.campaigns import judge_campaign
from reportguard.moderation.review import ReviewError, claim, decide, release
from reportguard.policy import load_policy
from reportguard.reporters.credibility import CredibilityModel, empty_records
from reportguard.store import audit
from reportguard.store.models import (
    AuditEntry,
    Campaign,
    CampaignMember,
    CampaignReport,
    CampaignTarget,
    Case,
    CaseReport,
    Report,
    ReporterCredibility,
)
from reportguard.triage.cases import decided_case_rate, queue, refresh_cases
from reportguard.triage.priority import score_cases

POLICY = load_policy()
OWN_WORDS = [
    "keeps sending me threats in private messages",
    "posted my home address under every one of my photos",
    "this profile spams crypto links in all the groups",
    "called my friend names for an hour last night",
    "their video shows someone being hurt on purpose",
    "pretends to be our school and asks for passwords",
]
T0 = datetime(2026, 11, 1, tzinfo=UTC)


class Platform:
    """Hand-made reports and accounts, stored through the real importer."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.records: list[tuple[str, dict[str, Any]]] = []
        self.n = 0

    def account(self, account_id: str, *, age_days: float, followers: int = 5) -> str:
        created = T0 - timedelta(days=age_days)
        self.records.append(
            (
                "-",
                {
                    "account_id": account_id,
                    "created_at": created.isoformat(),
                    "followers": followers,
                },
            )
        )
        return account_id

    def report(
        self, reporter: str, target: str, *, at: datetime, reason: str = "harassment", **extra: Any
    ) -> str:
        self.n += 1
        rid = f"r{self.n}"
        self.records.append(
            (
                str(self.n),
                {
                    "report_id": rid,
                    "reporter_id": reporter,
                    "target_id": target,
                    "reason": reason,
                    "created_at": at.isoformat(),
                    "text": extra.pop("text", f"what {reporter} saw on {target}, in own words"),
                    **extra,
                },
            )
        )
        return rid

    def store(self) -> None:
        # Hand-made timelines run years past today's clock (strikes that expire): allow them.
        bounds = TimeBounds(skew=timedelta(days=3650))
        summary = Importer(
            self.engine, IdentifierHasher(TEST_KEY.encode()), bounds=bounds
        ).import_records(self.records, source="test")
        assert summary.rejected == 0, summary.first_rejections
        self.records = []


def credible_history(platform: Platform, reporters: list[str], *, upheld: int) -> None:
    """Past cases on other violators, decided as violations: the reporters earn a record."""
    for i in range(upheld):
        for reporter in reporters:
            platform.report(reporter, f"past-violator-{i}", at=T0 - timedelta(days=20 - i % 10))
    platform.store()
    refresh_cases(platform.engine, policy=POLICY, now=T0)
    for i in range(upheld):
        _decide_target(platform.engine, f"past-violator-{i}", "violation", now=T0)


def _case_id(engine: Engine, target: str) -> int:
    with Session(engine) as session:
        return session.scalar(
            sa.text("SELECT id FROM cases WHERE target_id = :t AND status = 'open'"), {"t": target}
        )


def _decide_target(engine: Engine, target: str, outcome: str, *, now: datetime, **kw: Any) -> Any:
    case_id = _case_id(engine, target)
    claim(engine, case_id, "mod-a", policy=POLICY, now=now)
    return decide(engine, case_id, "mod-a", outcome=outcome, policy=POLICY, now=now, **kw)


def _ranking(engine: Engine) -> list[str]:
    return [case.target_id for case in queue(engine, limit=100)]


def test_brigade_of_500_fresh_accounts_ranks_below_three_credible_reports(engine: Engine) -> None:
    platform = Platform(engine)
    credible = [platform.account(f"good{i}", age_days=900) for i in range(3)]
    credible_history(platform, credible, upheld=6)
    now = T0 + timedelta(days=1)
    for reporter in credible:
        platform.report(reporter, "real-violator", at=now - timedelta(hours=5), reason="harassment")
    for i in range(500):  # new accounts, distinct addresses, no campaign detected: worst case
        fresh = platform.account(f"fresh{i}", age_days=2)
        platform.report(fresh, "innocent", at=now - timedelta(minutes=i % 50), reason="hate_speech")
    platform.store()
    refresh_cases(engine, policy=POLICY, now=now)
    ranking = _ranking(engine)
    assert ranking.index("real-violator") < ranking.index("innocent")
    top = queue(engine, limit=1)[0]
    assert top.target_id == "real-violator"
    assert any("raise the log-odds" in s for s in top.explanation["sentences"])


def test_discourse_weighting_versus_reportguard_with_the_numbers() -> None:
    """Discourse: flag weight 1 + trust level + accuracy bonus (only after > 5 resolved flags).

    On a young site five fresh accounts reach its auto-hide threshold; in ReportGuard five,
    fifty or five hundred fresh accounts never outweigh three reporters with good records.
    """

    def discourse(trust_level: int, resolved: int, agreed: float) -> float:
        bonus = 0.0 if resolved <= 5 else 5 * (agreed - 0.5)  # any bonus; zero for new flaggers
        return 1 + trust_level + bonus

    credible = 3 * discourse(trust_level=1, resolved=5, agreed=1.0)  # history not yet counted
    model = CredibilityModel(POLICY.credibility)

    def queue_of(groups: list[tuple[str, int, str, bool, float]]) -> pl.DataFrame:
        rows, records = [], []
        for target, n, reason, new, upheld in groups:
            for i in range(n):
                reporter = f"{target}-{i}"
                rows.append((target, f"{target}-r{i}", reporter, reason, new))
                if upheld:
                    records.append((reporter, "", upheld, 0.0, 0.0, 0))
        reports = pl.DataFrame(
            rows, schema=["case", "report_id", "reporter_id", "reason", "new_account"], orient="row"
        ).with_columns(
            text=pl.lit(None, pl.Utf8),
            ip_hash=pl.lit(None, pl.Utf8),
            device_hash=pl.lit(None, pl.Utf8),
        )
        recs = pl.concat(
            [empty_records(), pl.DataFrame(records, schema=empty_records().schema, orient="row")]
        )
        scored = model.score(reports, recs, now=0, base_rate=0.3)
        cases, _ = score_cases(scored, policy=POLICY, base_rate=0.3)
        return cases

    for n in (5, 50, 500):
        assert n * discourse(trust_level=0, resolved=0, agreed=0) >= 5  # Discourse: hidden
        cases = queue_of(
            [("fresh", n, "harassment", True, 0.0), ("credible", 3, "harassment", False, 6.0)]
        )
        order = cases["case"].to_list()
        assert order.index("credible") < order.index("fresh"), (n, cases)
        fresh = cases.filter(pl.col("case") == "fresh")
        assert fresh["crowd"][0] < POLICY.triage.crowd_cap
    # Discourse: 5 fresh flags (weight 1 each) already reach a threshold of 5 = 3 credible + 2.
    assert 5 * discourse(0, 0, 0) >= 5
    assert 500 * discourse(0, 0, 0) > credible


def _strangers(groups: list[tuple[str, int, str, bool]]) -> pl.DataFrame:
    """Reporters without any record, each independent: (case, how many, reason, new accounts)."""
    rows = [
        (case, f"{case}-r{i}", f"{case}-{i}", reason, new)
        for case, n, reason, new in groups
        for i in range(n)
    ]
    reports = pl.DataFrame(
        rows, schema=["case", "report_id", "reporter_id", "reason", "new_account"], orient="row"
    ).with_columns(
        text=pl.lit(None, pl.Utf8), ip_hash=pl.lit(None, pl.Utf8), device_hash=pl.lit(None, pl.Utf8)
    )
    return CredibilityModel(POLICY.credibility).score(reports, empty_records(), now=0)


def test_independent_witnesses_add_evidence_with_diminishing_returns_worked_out() -> None:
    """A case starts at the prior 0.1 (log-odds -2.1972); a stranger's base weight is 0.25.

    Three witnesses: ln(1 + 0.75 / 0.75) = 0.6931, log-odds -1.5041, P(violation) 0.1818.
    A hundred: ln(1 + 25 / 0.75) = 3.5361, log-odds 1.3389, P 0.7923. Each further one adds less.
    """
    cases, explained = score_cases(
        _strangers([("three", 3, "spam", False), ("hundred", 100, "spam", False)]),
        policy=POLICY,
        base_rate=0.25,
        explain=True,
    )
    row = {r["case"]: r for r in cases.iter_rows(named=True)}
    assert row["three"]["witnesses"] == pytest.approx(math.log(2.0), abs=1e-9)
    assert row["three"]["probability"] == pytest.approx(0.18181818, abs=1e-6)
    assert row["hundred"]["witnesses"] == pytest.approx(math.log(1 + 25 / 0.75), abs=1e-9)
    assert row["hundred"]["probability"] == pytest.approx(0.7923, abs=1e-4)
    assert row["hundred"]["fresh"] == 0.0
    # Without a record nothing is proven: automation sees only the prior and the severity.
    assert row["hundred"]["proven_priority"] == pytest.approx(
        math.log(0.1 / 0.9) + math.log(2.0), abs=1e-9
    )
    # The explanation adds up: every voice's contribution, summed, is the crowd's.
    voices = explained["three"]["voices"]
    assert sum(v["weight"] for v in voices) == pytest.approx(row["three"]["crowd"], abs=1e-3)
    assert all("raises the case by 0.23" in v["why"] for v in voices)
    assert any("3 established accounts" in s for s in explained["three"]["sentences"])
    assert (
        "P(violation) 0.18, from the stated priors (too few decided cases to fit on)."
        in (explained["three"]["sentences"])
    )


def _timed(case: str, n: int, *, every: int, posts: list[str | None], surface: str) -> pl.DataFrame:
    """``n`` strangers reporting ``case`` ``every`` seconds apart, cycling through ``posts``."""
    return _strangers([(case, n, "harassment", False)]).with_columns(
        t=pl.int_range(0, n, dtype=pl.Int64) * every,
        content_id=pl.Series([posts[i % len(posts)] for i in range(n)], dtype=pl.Utf8),
        surface=pl.lit(surface),
    )


def test_a_burst_spread_over_an_accounts_posts_is_one_witness_worked_out() -> None:
    """Thirty strangers (base weight 0.25 each), four ways, against five strangers days apart.

    - Within half an hour, each on another post, from the profile: one event, one witness:
      ln(1 + 0.25 / 0.75) = 0.2877.
    - Within half an hour, 20 of them on the one post that was going round, from the feed, the other
      10 on older posts from the profile: the 20 are independent, the 10 one event:
      ln(1 + 5.25 / 0.75) = ln 8 = 2.0794.
    - Within half an hour, each on another post, all from the feed, on a platform where 60% of
      voices come through the profile: a post going round that the reports do not single out
      (thirty without a profile visit has chance 0.4^30): thirty witnesses, ln 11 = 2.3979.
    - One a day: thirty witnesses, ln(1 + 7.5 / 0.75) = ln 11 = 2.3979.
    - Five, one a day: ln(1 + 1.25 / 0.75) = 0.9808; the half-hour burst ranks below them.
    """
    other = [f"old{i}" for i in range(10)]
    drawn = _timed("drawn", 30, every=60, posts=["hot", "hot", *other[:1]], surface="feed")
    reports = pl.concat(
        [
            _timed("burst", 30, every=60, posts=[f"b{i}" for i in range(30)], surface="profile"),
            drawn.with_columns(
                surface=pl.when(pl.col("content_id") == "hot")
                .then(pl.lit("feed"))
                .otherwise(pl.lit("profile"))
            ),
            _timed("shared", 30, every=60, posts=[f"s{i}" for i in range(30)], surface="feed"),
            _timed("apart", 30, every=86_400, posts=other, surface="profile"),
            _timed("five", 5, every=86_400, posts=other, surface="profile"),
        ],
        how="diagonal_relaxed",
    )
    cases, explained = score_cases(reports, policy=POLICY, base_rate=0.25, explain=True)
    witnesses = dict(zip(cases["case"], cases["witnesses"], strict=True))
    assert witnesses["burst"] == pytest.approx(math.log(1 + 0.25 / 0.75), abs=1e-9)
    assert witnesses["drawn"] == pytest.approx(math.log(8.0), abs=1e-9)
    assert witnesses["shared"] == pytest.approx(math.log(11.0), abs=1e-9)
    assert witnesses["apart"] == pytest.approx(math.log(11.0), abs=1e-9)
    assert witnesses["five"] == pytest.approx(math.log(1 + 1.25 / 0.75), abs=1e-9)
    assert cases["case"].to_list() == ["apart", "shared", "drawn", "five", "burst"]
    # The explanation says so, and still adds up.
    burst = explained["burst"]
    assert "30 voices arrived in 1 burst" in " ".join(burst["sentences"])
    # Ten rows are listed and twenty more counted; each holds a thirtieth of the one witness.
    assert burst["more_voices"] == 20
    assert sum(v["weight"] for v in burst["voices"]) == pytest.approx(
        witnesses["burst"] * 10 / 30, abs=1e-3
    )
    assert all("a burst that counts as one witness" in v["why"] for v in burst["voices"])
    assert "burst" not in " ".join(explained["apart"]["sentences"])
    # Turned off, the burst is thirty witnesses again.
    off = POLICY.model_copy(
        update={"triage": POLICY.triage.model_copy(update={"burst_minutes": 0})}
    )
    cases, _ = score_cases(reports, policy=off, base_rate=0.25)
    witnesses = dict(zip(cases["case"], cases["witnesses"], strict=True))
    assert witnesses["burst"] == pytest.approx(math.log(11.0), abs=1e-9)


def test_a_called_crowd_ranks_below_fewer_witnesses_end_to_end(engine: Engine) -> None:
    """Twenty established accounts report one account within forty minutes, each on another of
    its posts, from its profile, with no other trace: one event. Six who came across another
    account over six days are six witnesses and rank above; a post going round draws twenty
    reports in the same forty minutes and stays twenty witnesses."""
    platform = Platform(engine)
    for i in range(20):
        reporter = platform.account(f"called{i}", age_days=500 + i)
        platform.report(reporter, "quiet", at=T0 + timedelta(minutes=2 * i), surface="profile",
                        content_id=f"quiet-post{i}", text=None)  # fmt: skip
        reporter = platform.account(f"viewer{i}", age_days=500 + i)
        platform.report(reporter, "hot", at=T0 + timedelta(minutes=2 * i), surface="feed",
                        content_id="hot-post", text=None)  # fmt: skip
    for i in range(6):
        reporter = platform.account(f"seen{i}", age_days=300 + i)
        platform.report(reporter, "seen", at=T0 - timedelta(days=i), surface="feed",
                        content_id=f"seen-post{i}", text=None)  # fmt: skip
    platform.store()
    refresh_cases(engine, policy=POLICY, now=T0 + timedelta(hours=1))
    assert _ranking(engine) == ["hot", "seen", "quiet"]
    quiet = next(c for c in queue(engine, limit=10) if c.target_id == "quiet")
    assert quiet.n_voices == 20
    assert "20 voices arrived in 1 burst" in " ".join(quiet.explanation["sentences"])


def test_a_wave_of_independent_witnesses_outranks_a_grave_reason_from_two_strangers() -> None:
    """The new user's complaint: 1-2 'violence' reports from unknowns ranked above a spammer
    reported by 351 independent accounts. Severity 5 adds ln 5 = 1.61; two witnesses add
    ln(1 + 0.5 / 0.75) = 0.51 against the spammer's ln 2 + ln(1 + 87.75 / 0.75) = 5.47."""
    cases, _ = score_cases(
        _strangers(
            [("spammer", 351, "spam", False), ("one-off", 2, "violence", False)]
            + [(f"stray{i}", 1, "violence", False) for i in range(20)]
        ),
        policy=POLICY,
        base_rate=0.25,
    )
    assert cases["case"][0] == "spammer"


def test_witnesses_count_beyond_what_the_targets_reach_explains_worked_out() -> None:
    """Forty strangers each (base weight 10); stray rate 0.001 reports per follower.

    125,000 followers: 125 stray reports expected, half point 0.75 + 0.25 * 125 = 32,
    witnesses ln(1 + 10 / 32) = 0.2719. 50 followers: half 0.7625, ln(1 + 10 / 0.7625) = 2.6472.
    Unknown reach: ln(1 + 10 / 0.75) = 2.6626.
    """
    reports = _strangers(
        [
            ("star", 40, "harassment", False),
            ("small", 40, "harassment", False),
            ("unknown", 40, "harassment", False),
        ]
    ).with_columns(
        target_followers=pl.col("case").replace_strict(
            {"star": 125_000, "small": 50, "unknown": None}, return_dtype=pl.Int64
        )
    )
    cases, explained = score_cases(
        reports, policy=POLICY, base_rate=0.25, stray_rate=0.001, explain=True
    )
    witnesses = dict(zip(cases["case"], cases["witnesses"], strict=True))
    assert witnesses["star"] == pytest.approx(math.log(1 + 10 / 32), abs=1e-9)
    assert witnesses["small"] == pytest.approx(math.log(1 + 10 / 0.7625), abs=1e-9)
    assert witnesses["unknown"] == pytest.approx(math.log(1 + 10 / 0.75), abs=1e-9)
    assert cases["case"][-1] == "star"
    assert any(
        "125,000 followers" in s and "about 125 reports" in s
        for s in explained["star"]["sentences"]
    )


def test_a_popular_account_needs_more_witnesses_end_to_end(engine: Engine) -> None:
    platform = Platform(engine)
    platform.account("star", age_days=900, followers=2_000_000)
    platform.account("nobody", age_days=900, followers=40)
    for target in ("star", "nobody"):
        for i in range(30):
            reporter = platform.account(f"{target}-fan{i}", age_days=400, followers=10)
            platform.report(reporter, target, at=T0 - timedelta(hours=i), text=None)
    platform.store()
    refresh_cases(engine, policy=POLICY, now=T0)
    cases = {c.target_id: c for c in queue(engine, limit=10)}
    assert _ranking(engine) == ["nobody", "star"]
    # 60 open reports over 2,000,640 followers: the star is expected to draw 60 of them itself.
    assert cases["star"].explanation["expected_stray_voices"] == pytest.approx(
        60 * 2_000_000 / (2_000_000 + 40 + 60 * 10), abs=0.01
    )


def test_a_case_starts_from_the_platforms_share_of_violating_cases(engine: Engine) -> None:
    platform = Platform(engine)
    credible_history(platform, [platform.account("old", age_days=400)], upheld=3)
    platform.report("old", "innocent", at=T0)
    platform.store()
    refresh_cases(engine, policy=POLICY, now=T0)
    _decide_target(engine, "innocent", "no_violation", now=T0)
    with Session(engine) as session:
        assert decided_case_rate(session, POLICY) == POLICY.triage.case_prior  # 4 < 50 decided
        assert decided_case_rate(session, POLICY, minimum=4) == pytest.approx(0.75)


def test_fresh_accounts_stay_capped_while_established_witnesses_do_not() -> None:
    cases, _ = score_cases(
        _strangers([("fresh", 500, "harassment", True), ("old", 500, "harassment", False)]),
        policy=POLICY,
        base_rate=0.25,
    )
    row = {r["case"]: r for r in cases.iter_rows(named=True)}
    assert row["fresh"]["witnesses"] == 0.0
    assert 0 < row["fresh"]["fresh"] < POLICY.triage.crowd_cap
    assert row["old"]["witnesses"] > 5.0
    assert cases["case"].to_list() == ["old", "fresh"]


def test_organic_viral_wave_rises_to_the_top(engine: Engine) -> None:
    platform = Platform(engine)
    # A platform with a decided past: most reporters have a mixed, honest record.
    honest = [platform.account(f"old{i}", age_days=400 + i) for i in range(150)]
    credible_history(platform, honest[:60], upheld=2)
    now = T0 + timedelta(days=2)
    for i, reporter in enumerate(honest):  # the viral wave: varied text, hours apart
        platform.report(
            reporter,
            "viral-violator",
            at=now - timedelta(minutes=7 * i),
            reason="hate_speech",
            text=f"account {i} keeps posting slurs, see post {i}",
        )
    for j in range(40):  # ordinary cases: a few reports each
        for k in range(3):
            platform.report(honest[(j * 3 + k) % 150], f"ordinary{j}", at=now - timedelta(hours=k))
    platform.store()
    refresh_cases(engine, policy=POLICY, now=now)
    assert _ranking(engine)[0] == "viral-violator"


def test_shared_address_text_and_campaign_each_make_one_voice() -> None:
    model = CredibilityModel(POLICY.credibility)
    base = {"reason": "spam", "new_account": False, "device_hash": None}
    rows = []
    for i in range(6):  # six reporters behind one address
        rows.append(
            {
                **base,
                "case": "ip",
                "report_id": f"a{i}",
                "reporter_id": f"a{i}",
                "ip_hash": "same",
                "text": None,
            }
        )
    for i in range(6):  # six reporters pasting one text (with small edits of case and digits)
        rows.append(
            {
                **base,
                "case": "text",
                "report_id": f"b{i}",
                "reporter_id": f"b{i}",
                "ip_hash": f"ip{i}",
                "text": f"This ACCOUNT is a bot farm!! #{i}",
            }
        )
    for i in range(6):  # six in a detected campaign
        rows.append(
            {
                **base,
                "case": "camp",
                "report_id": f"c{i}",
                "reporter_id": f"c{i}",
                "ip_hash": f"ipc{i}",
                "text": None,
            }
        )
    for i in range(6):  # six independent
        rows.append(
            {
                **base,
                "case": "free",
                "report_id": f"d{i}",
                "reporter_id": f"d{i}",
                "ip_hash": f"ipd{i}",
                "text": OWN_WORDS[i],
            }
        )
    reports = model.score(pl.DataFrame(rows), empty_records(), now=0)
    campaigns = pl.DataFrame(
        {"report_id": [f"c{i}" for i in range(6)], "campaign_id": [7] * 6, "status": ["active"] * 6}
    )
    cases, explained = score_cases(reports, policy=POLICY, campaigns=campaigns, explain=True)
    voices = dict(zip(cases["case"], cases["n_voices"], strict=True))
    assert voices == {"ip": 1, "text": 1, "camp": 1, "free": 6}
    shielded = dict(zip(cases["case"], cases["shielded"], strict=True))
    assert shielded["camp"]
    assert not shielded["free"]
    assert "network address" in explained["ip"]["voices"][0]["why"]
    assert "text" in explained["text"]["voices"][0]["why"]
    assert "detected campaign" in explained["camp"]["voices"][0]["why"]
    assert cases["case"][0] == "free"


def test_reporters_during_a_raid_count_with_the_campaign_not_as_witnesses() -> None:
    """An active campaign's 20 members raid an account within 20 minutes; 5 more accounts report
    it in that hour without any trait of the campaign, 3 more a week later. Mid-raid a witness
    cannot be told from a member who left no trace: the 5 join the campaign's one voice, the 3
    later ones are independent. Had the campaign been confirmed (its 20 reports count for
    nothing), the 5 would still be one voice among themselves."""
    model = CredibilityModel(POLICY.credibility)
    t0, week = 1_700_000_000, 7 * 86_400
    rows = [(f"m{i}", t0 + i * 60) for i in range(20)]  # the raid
    rows += [(f"quiet{i}", t0 + 300 + i * 400) for i in range(5)]  # in its hour, no trait
    rows += [(f"later{i}", t0 + week + i * 3600) for i in range(3)]  # long after
    reports = model.score(
        pl.DataFrame(
            [
                {
                    "case": "x",
                    "report_id": f"r-{who}",
                    "reporter_id": who,
                    "t": t,
                    "reason": "spam",
                    "text": None,
                    "ip_hash": None,
                    "device_hash": None,
                    "new_account": False,
                }
                for who, t in rows
            ],
            schema_overrides={"text": pl.Utf8, "ip_hash": pl.Utf8, "device_hash": pl.Utf8},
        ),
        empty_records(),
        now=t0 + 2 * week,
    )
    for status, voices in (("active", 1 + 3), ("confirmed", 1 + 3)):
        campaigns = pl.DataFrame(
            {
                "report_id": [f"r-m{i}" for i in range(20)],
                "campaign_id": [4] * 20,
                "status": [status] * 20,
            }
        )
        cases, explained = score_cases(reports, policy=POLICY, campaigns=campaigns, explain=True)
        assert cases["n_voices"][0] == voices, status
        whys = [v["why"] for v in explained["x"]["voices"]]
        assert any("5 of them without a trait of it" in why for why in whys), (status, whys)
    # Without a campaign there is no raid: all 28 are independent witnesses.
    cases, _ = score_cases(reports, policy=POLICY)
    assert cases["n_voices"][0] == 28


def test_credibility_rises_falls_and_decays_toward_the_prior() -> None:
    model = CredibilityModel(POLICY.credibility)
    prior = model.mean(upheld=0, rejected=0, unfounded=0)
    assert prior == pytest.approx(0.25)
    assert model.mean(upheld=0, rejected=0, unfounded=0, new=True) < prior
    good = model.mean(upheld=10, rejected=1, unfounded=0)
    rejected = model.mean(upheld=0, rejected=3, unfounded=0)
    unfounded = model.mean(upheld=0, rejected=0, unfounded=3)
    assert good > 0.7
    assert unfounded < rejected < prior
    half_life = POLICY.credibility.half_life_days * 86_400
    records = pl.DataFrame(
        {
            "reporter_id": ["x"],
            "reason": [""],
            "upheld": [10.0],
            "rejected": [0.0],
            "unfounded": [0.0],
            "t_updated": [0],
        }
    )
    reports = pl.DataFrame({"reporter_id": ["x"], "reason": ["spam"], "new_account": [False]})
    fresh = model.score(reports, records, now=0)["credibility"][0]
    later = model.score(reports, records, now=int(half_life))["credibility"][0]
    much_later = model.score(reports, records, now=int(20 * half_life))["credibility"][0]
    assert fresh > later > much_later
    assert much_later == pytest.approx(prior, abs=0.01)


def test_credibility_per_reason_refines_the_overall_record() -> None:
    model = CredibilityModel(POLICY.credibility)
    records = pl.DataFrame(
        {
            "reporter_id": ["x", "x", "x"],
            "reason": ["", "spam", "hate_speech"],
            "upheld": [10.0, 10.0, 0.0],
            "rejected": [6.0, 0.0, 6.0],
            "unfounded": [0.0] * 3,
            "t_updated": [0, 0, 0],
        }
    )
    reports = pl.DataFrame(
        {
            "reporter_id": ["x", "x"],
            "reason": ["spam", "hate_speech"],
            "new_account": [False, False],
        }
    )
    spam, hate = model.score(reports, records, now=0)["credibility"].to_list()
    assert spam > 0.6 > hate


def test_decisions_update_credibility_at_once_and_are_audited(engine: Engine) -> None:
    platform = Platform(engine)
    platform.report("alice", "t1", at=T0)
    platform.report("bob", "t1", at=T0)
    rid = platform.report("carol", "t1", at=T0)
    platform.store()
    refresh_cases(engine, policy=POLICY, now=T0)
    result = _decide_target(engine, "t1", "no_violation", now=T0, unfounded=[rid])
    assert result.verdicts == {"upheld": 0, "rejected": 2, "unfounded": 1}
    with Session(engine) as session:
        rows = {
            r.reporter_id: r
            for r in session.scalars(
                sa.select(ReporterCredibility).where(ReporterCredibility.reason == "")
            )
        }
        assert rows["alice"].rejected == 1
        assert rows["carol"].unfounded == 1
        events = session.scalars(sa.select(AuditEntry.event).order_by(AuditEntry.seq)).all()
    assert events == ["policy", "decision", "credibility"]
    changes = {c["reporter_id"]: c for c in result.credibility}
    assert changes["carol"]["after"] < changes["alice"]["after"] < changes["alice"]["before"]
    assert audit.verify(engine).ok


def test_a_claim_locks_the_case_until_it_expires(engine: Engine) -> None:
    platform = Platform(engine)
    platform.report("alice", "t1", at=T0)
    platform.store()
    refresh_cases(engine, policy=POLICY, now=T0)
    case_id = _case_id(engine, "t1")
    claim(engine, case_id, "mod-a", policy=POLICY, now=T0)
    with pytest.raises(ReviewError, match="claimed by mod-a"):
        claim(engine, case_id, "mod-b", policy=POLICY, now=T0 + timedelta(minutes=5))
    with pytest.raises(ReviewError, match="claim case"):
        decide(engine, case_id, "mod-b", outcome="violation", policy=POLICY, now=T0)
    with pytest.raises(ReviewError, match="not yours to release: mod-a holds it"):
        release(engine, case_id, "mod-b")  # another's claim is not given up by a stranger
    release(engine, case_id, "mod-a")
    with pytest.raises(ReviewError, match="is not claimed: there is no claim to release"):
        release(engine, case_id, "mod-a")  # a claim you do not hold is not released twice
    claim(engine, case_id, "mod-a", policy=POLICY, now=T0)
    later = T0 + timedelta(minutes=POLICY.triage.claim_minutes + 1)
    claim(engine, case_id, "mod-b", policy=POLICY, now=later)
    decide(engine, case_id, "mod-b", outcome="violation", policy=POLICY, now=later)
    with pytest.raises(ReviewError, match="already decided"):
        decide(engine, case_id, "mod-b", outcome="violation", policy=POLICY, now=later)


def _plant_campaign(engine: Engine, target: str, members: list[str]) -> int:
    with Session(engine) as session, session.begin():
        campaign = Campaign(
            campaign_key=f"k-{target}",
            status="active",
            score=0.9,
            first_report_at=T0,
            last_report_at=T0,
            detected_at=T0,
            n_members=len(members),
            n_targets=1,
            n_reports=len(members),
            evidence={},
        )
        session.add(campaign)
        session.flush()
        pks = session.scalars(sa.select(Report.id).where(Report.target_id == target)).all()
        session.add_all([CampaignMember(campaign_id=campaign.id, reporter_id=m) for m in members])
        session.add(CampaignTarget(campaign_id=campaign.id, target_id=target))
        session.add_all([CampaignReport(campaign_id=campaign.id, report_pk=pk) for pk in pks])
        return campaign.id


def test_confirmed_campaign_lowers_members_credibility_and_lifts_nothing(engine: Engine) -> None:
    platform = Platform(engine)
    members = [f"m{i}" for i in range(20)]
    for i, member in enumerate(members):
        platform.report(member, "victim", at=T0 + timedelta(minutes=i), text="same words for all")
    platform.store()
    campaign_id = _plant_campaign(engine, "victim", members)
    refresh_cases(engine, policy=POLICY, now=T0)
    case = queue(engine, limit=1)[0]
    assert case.shielded
    assert case.n_voices == 1
    model = CredibilityModel(POLICY.credibility)
    before = model.mean(upheld=0, rejected=0, unfounded=0)
    result = judge_campaign(engine, campaign_id, "mod-a", status="confirmed", policy=POLICY, now=T0)
    assert result["reports_marked_unfounded"] == 20
    assert all(c["after"] < before for c in result["credibility"])
    refresh_cases(engine, policy=POLICY, now=T0)
    case = queue(engine, limit=1)[0]
    assert case.shielded
    assert case.explanation["excluded_reports"] == 20
    with pytest.raises(ReviewError, match="already confirmed"):
        judge_campaign(engine, campaign_id, "mod-b", status="confirmed", policy=POLICY)


def test_tampered_or_removed_audit_entries_are_detected(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        for i in range(5):
            audit.record(
                session,
                actor="mod-a",
                event="decision",
                subject_type="case",
                subject_id=i,
                payload={"outcome": "violation"},
            )
    assert audit.verify(engine).ok
    assert audit.verify(engine).entries == 5
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE audit_log SET payload = :p WHERE seq = 3"),
            {"p": '{"outcome": "no_violation"}'},
        )
    result = audit.verify(engine)
    assert not result.ok
    assert any("entry 3" in p and "altered" in p for p in result.problems)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_log WHERE seq = 3"))
    result = audit.verify(engine)
    assert any("entry 3 missing" in p for p in result.problems)


def test_triage_beats_count_ranking_on_the_small_preset(small_simulation: Path) -> None:
    from reportguard.evaluate.triage import evaluate_triage

    run = evaluate_triage(small_simulation, history=0.5)
    ours, count = run.scores["reportguard"], run.scores["count"]
    assert ours["p@50"] > count["p@50"]
    assert ours["ndcg@100"] > count["ndcg@100"]
    assert ours["brigaded_in_top_50"] == 0


def test_live_feed_reports_join_their_targets_open_case_by_index(
    engine: Engine, sqlite_engine: Engine
) -> None:
    """A feed passes the new reports' ids: each joins its target's open case, a decided case
    keeps its reports, and on SQLite the lookup starts from those ids (an index probe per
    report), not from a walk over every open case's reports (80 ms a pass with the lock held)."""
    platform = Platform(engine)
    for i in range(30):
        platform.report(f"u{i}", f"t{i % 10}", at=T0 - timedelta(hours=i))
    platform.store()
    refresh_cases(engine, policy=POLICY, now=T0)
    _decide_target(engine, "t0", "no_violation", now=T0)
    new = [platform.report("late", target, at=T0) for target in ("t0", "t1", "t1")]
    platform.store()

    refresh_cases(engine, policy=POLICY, now=T0, target_ids=["t0", "t1"], report_ids=new)

    with Session(engine) as session:
        rows = session.execute(
            sa.select(Report.report_id, Case.target_id, Case.status)
            .join(CaseReport, CaseReport.report_pk == Report.id)
            .join(Case, Case.id == CaseReport.case_id)
            .where(Report.report_id.in_(new))
        ).all()
    assert sorted(rows) == [(new[0], "t0", "open"), (new[1], "t1", "open"), (new[2], "t1", "open")]
    assert _case_id(engine, "t0") != _case_id(engine, "t1")
    with Session(engine) as session:
        decided = session.scalars(
            sa.select(sa.func.count()).select_from(Case).where(Case.target_id == "t0")
        ).one()
    assert decided == 2  # the decided case and the one the late report opened

    # The statement the feed's path sends, and SQLite's plan for it on a table with statistics
    # as fresh as a live server's (none).
    seen: list[tuple[str, Any]] = []
    sa.event.listen(
        sqlite_engine,
        "before_cursor_execute",
        lambda _c, _cur, statement, params, _ctx, _many: seen.append((statement, params)),
    )
    ids = [f"x-{i}" for i in range(400)]  # a pass at 200 posts/s: the plan depends on the count
    refresh_cases(sqlite_engine, policy=POLICY, report_ids=ids, target_ids=["t"])
    statement, params = next((s, p) for s, p in seen if s.startswith("INSERT INTO case_reports"))
    with sqlite_engine.connect() as conn:
        plan = [row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)]
    assert plan[0].startswith("SEARCH reports USING INDEX sqlite_autoindex_reports")
    assert not any("ix_cases_status_priority" in step for step in plan), plan
    assert any("ix_cases_target_status" in step for step in plan), plan


def test_a_self_report_is_kept_but_never_a_voice(engine: Engine) -> None:
    platform = Platform(engine)
    for i in range(3):
        platform.report("selfie", "selfie", at=T0 + timedelta(minutes=i))
    platform.report("stranger", "selfie", at=T0 + timedelta(hours=1))
    platform.report("alone", "alone", at=T0)
    platform.store()
    refresh_cases(engine, policy=POLICY, now=T0 + timedelta(days=1))
    with Session(engine) as session:
        cases = {c.target_id: c for c in session.scalars(sa.select(Case))}
    assert (cases["selfie"].n_reports, cases["selfie"].n_voices) == (4, 1)
    assert (cases["alone"].n_reports, cases["alone"].n_voices) == (1, 0)
    assert cases["alone"].priority < cases["selfie"].priority


def test_a_burst_below_a_campaigns_bar_is_one_voice_in_its_case(engine: Engine) -> None:
    """Fourteen established accounts report one account from its profile within half an hour:
    coordination evidence that is real but, with the bar set high here, no campaign. Detection
    stores each report's score with the burst's key; triage then hears the fourteen as one voice
    (the case is not shielded: nobody is accused), while fourteen unrelated reporters of another
    account over two weeks stay fourteen witnesses."""
    import random

    from reportguard.detect.campaigns import CampaignDetector
    from reportguard.pipeline.batch import detect
    from reportguard.store.models import ReportScore

    rng = random.Random(3)
    platform = Platform(engine)
    people = [platform.account(f"p{i}", age_days=400 + i) for i in range(320)]
    surfaces = ["feed", "feed", "comments", "search", "profile"]
    for _ in range(900):  # the platform's own reporting, where posts are seen
        reporter, target = rng.sample(people, 2)
        at = T0 + timedelta(minutes=rng.randrange(20 * 1440))
        platform.report(reporter, target, at=at, surface=rng.choice(surfaces), text=None)
    for i, member in enumerate(people[:14]):
        platform.report(member, "quiet", at=T0 + timedelta(days=9, minutes=2 * i),
                        surface="profile", text=None)  # fmt: skip
    for i, witness in enumerate(people[100:114]):
        platform.report(witness, "seen", at=T0 + timedelta(days=i), surface="feed", text=None)
    platform.store()
    found = detect(engine, policy=POLICY, detector=CampaignDetector.default(min_evidence=100.0))
    assert found.campaigns == []
    with Session(engine) as session:
        scored = session.scalar(sa.select(sa.func.count()).select_from(ReportScore))
        keys = session.scalars(sa.select(ReportScore.suspect).distinct()).all()
    assert scored == 900 + 14 + 14  # every report got its number
    assert [k for k in keys if k is not None] == [k for k in keys if k and k.startswith("quiet@")]
    refresh_cases(engine, policy=POLICY, now=T0 + timedelta(days=21))
    with Session(engine) as session:
        cases = {
            c.target_id: c
            for c in session.scalars(sa.select(Case).where(Case.target_id.in_(["quiet", "seen"])))
        }
    assert cases["seen"].n_voices == 14
    assert cases["quiet"].n_voices <= 2  # the burst (and at most one who reported apart)
    assert not cases["quiet"].shielded
    whys = [v["why"] for v in cases["quiet"].explanation["voices"]]
    assert any("signs of coordination" in why for why in whys)
