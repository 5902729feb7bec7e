"""Randomized worlds: a whole platform and its attacks sampled from wide ranges, from one seed.

A preset is one platform; detection tuned on it can fit its quirks. ``random_spec(seed)`` draws
the platform (size, period, account ages, time zone, surface mix, shared carrier addresses), its
hard negatives (viral waves, cross-posts from other sites, trusted flaggers, platform bots) and
its brigades (sockpuppet rings, mobilised communities, mixed groups, aged accounts, camouflage),
each from the ranges in :data:`RANGES`. The same seed gives the same spec, so a world is named by
its seed (``reportguard simulate --randomize --seed N``).

>>> spec = random_spec(3)
>>> spec == random_spec(3), spec == random_spec(4)
(True, False)
>>> 5_000 <= spec.accounts <= 40_000 and 10 <= spec.days <= 30
True
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from reportguard.simulate.spec import (
    PLATFORM_SURFACES,
    SURFACES,
    VETERAN_DAYS,
    CampaignSpec,
    HeavyReporterSpec,
    PlatformSpec,
    Surface,
)
from reportguard.simulate.text import REASONS

# The oldest accounts a world makes: within what ingest takes by default (from 1990).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)

#: Every range a randomized world is drawn from (docs/simulation.md lists the same).
RANGES: dict[str, Any] = {
    "accounts": (5_000, 40_000),
    "days": (10, 30),
    "reports": (10_000, 80_000),
    "start": ("2025-01-01", "2026-10-01"),
    "utc_offset_hours": (-10, 12),
    "account_age_median_days": (40, 1_500),
    "account_age_sigma": (0.5, 1.5),
    "veteran_share": (0.01, 0.1),
    "violator_share": (0.005, 0.04),
    "violation_share": (0.3, 0.8),
    "mistaken_severe_share": (0.05, 0.6),
    "nat_share": (0.05, 0.4),
    "nat_gateways": (2, 60),
    "viral_surges": (0, 10),
    "viral_reports": (80, 4_000),
    "viral_surface_share": (0.5, 0.9),
    "crosspost_share": (0.2, 1.0),
    "crosspost_referred": (0.3, 0.9),
    "crosspost_newcomers": (0.02, 0.3),
    "trusted_flaggers": (0, 3),
    "trusted_flagger_reports": (1_000, 6_000),
    "trusted_flagger_accuracy": (0.85, 0.99),
    "platform_bots": (0, 2),
    "bot_reports": (1_500, 8_000),
    "bot_accuracy": (0.9, 0.995),
    "spam_accounts": (100, 4_000),
    "campaigns": (2, 12),
    "campaign_reporters": (6, 300),
    "campaign_targets": (1, 6),
    "aged_days": (150, 400),
    "camouflage": (0.5, 25.0),
    "joins_waves": (0.05, 0.5),
    "duration_minutes": (10, 4 * 24 * 60),
}


class _Draw:
    """Uniform, log-uniform and yes/no draws from one seeded generator."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng([seed, 1919])

    def uniform(self, lo: float, hi: float) -> float:
        return float(self.rng.uniform(lo, hi))

    def log(self, lo: float, hi: float) -> float:
        return float(np.exp(self.rng.uniform(np.log(lo), np.log(hi))))

    def integer(self, lo: int, hi: int) -> int:
        """An integer from lo to hi, both included."""
        return int(self.rng.integers(lo, hi + 1))

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def pick(self, options: list[Any], p: list[float] | None = None) -> Any:
        return options[int(self.rng.choice(len(options), p=p))]

    def range(self, name: str) -> tuple[float, float]:
        lo, hi = RANGES[name]
        return float(lo), float(hi)


def random_spec(seed: int) -> PlatformSpec:
    """A platform and its attacks drawn from :data:`RANGES`; the same seed, the same spec."""
    d = _Draw(seed)
    first, last = (datetime.fromisoformat(x).replace(tzinfo=UTC) for x in RANGES["start"])
    start = first + timedelta(days=d.integer(0, (last - first).days))
    days = d.integer(*RANGES["days"])
    accounts = round(d.log(*d.range("accounts")))
    budget = d.log(*d.range("reports"))  # reports of every kind over the period

    ages = _ages(d, start)
    heavy, spam = _heavy_reporters(d, budget, accounts)
    heavy_reports = sum(h.reports for h in heavy)
    surges, viral_reports = _viral(d, budget)
    viral_expected = surges * sum(viral_reports) / 2
    campaigns = [_campaign(d, days, surges) for _ in range(d.integer(*RANGES["campaigns"]))]
    campaign_expected = sum(
        c.reporters * c.targets * c.participation * c.reports_per_member
        + c.reporters * c.camouflage
        for c in campaigns
    )
    organic = budget - heavy_reports - viral_expected - campaign_expected
    crossposted = d.chance(0.6)
    nat = d.chance(0.6)
    mix = d.rng.dirichlet([30 * PLATFORM_SURFACES[s] for s in SURFACES])
    surfaces: dict[Surface, float] = {
        s: round(float(w), 4) for s, w in zip(SURFACES, mix, strict=True)
    }
    return PlatformSpec(
        seed=seed,
        start=start,
        days=days,
        accounts=accounts,
        violator_share=d.uniform(*d.range("violator_share")),
        popular_innocent=d.integer(0, 60),
        organic_reports_per_day=max(100, round(organic / days)),
        violation_share=d.uniform(*d.range("violation_share")),
        viral_surges=surges,
        viral_reports=viral_reports,
        disputes=d.integer(0, 40),
        throwaway_clusters=d.integer(0, 15),
        campaigns=campaigns,
        utc_offset_hours=d.integer(*RANGES["utc_offset_hours"]),
        **ages,
        mistaken_severe_share=(
            d.uniform(*d.range("mistaken_severe_share")) if d.chance(0.5) else None
        ),
        nat_share=d.uniform(*d.range("nat_share")) if nat else 0.0,
        nat_gateways=d.integer(*RANGES["nat_gateways"]) if nat else 0,
        surfaces=surfaces,
        viral_surface_share=d.uniform(*d.range("viral_surface_share")),
        crosspost_share=d.uniform(*d.range("crosspost_share")) if crossposted else 0.0,
        crosspost_referred=d.uniform(*d.range("crosspost_referred")),
        crosspost_newcomers=(d.uniform(*d.range("crosspost_newcomers")) if d.chance(0.5) else 0.0),
        content_spread=True,
        spam_accounts=spam,
        heavy_reporters=heavy,
    )


def _ages(d: _Draw, start: datetime) -> dict[str, float]:
    """Account ages: a forum-era platform with 20-year-old accounts, or a younger one."""
    oldest_possible = (start - EARLIEST).days - 2
    median = d.log(*d.range("account_age_median_days"))
    if d.chance(0.5) and oldest_possible > VETERAN_DAYS:
        return {
            "account_age_median_days": median,
            "account_age_sigma": d.uniform(*d.range("account_age_sigma")),
            "account_age_max_days": float(oldest_possible),
            "veteran_share": d.uniform(*d.range("veteran_share")),
        }
    oldest = d.log(365, 7_000)
    return {
        "account_age_median_days": min(median, oldest / 2.5),
        "account_age_sigma": d.uniform(*d.range("account_age_sigma")),
        "account_age_max_days": oldest,
        "veteran_share": 0.0,
    }


def _heavy_reporters(d: _Draw, budget: float, accounts: int) -> tuple[list[HeavyReporterSpec], int]:
    """Trusted flaggers and platform bots, at most 45% of the world's reports; spam accounts."""
    heavy: list[HeavyReporterSpec] = []
    flaggers = d.integer(1, RANGES["trusted_flaggers"][1]) if d.chance(0.55) else 0
    for _ in range(flaggers):
        categories: list[str] = []
        if d.chance(0.5):
            k = d.integer(1, 3)
            categories = sorted(str(c) for c in d.rng.choice(REASONS, size=k, replace=False))
        heavy.append(
            HeavyReporterSpec(
                kind="trusted_flagger",
                reports=round(d.log(*d.range("trusted_flagger_reports"))),
                accuracy=d.uniform(*d.range("trusted_flagger_accuracy")),
                categories=categories,
            )
        )
    bots = d.integer(1, RANGES["platform_bots"][1]) if d.chance(0.45) else 0
    for _ in range(bots):
        heavy.append(
            HeavyReporterSpec(
                kind="bot",
                reports=round(d.log(*d.range("bot_reports"))),
                accuracy=d.uniform(*d.range("bot_accuracy")),
            )
        )
    total = sum(h.reports for h in heavy)
    if total > 0.45 * budget:  # keep room for everything else
        scale = 0.45 * budget / total
        heavy = [h.model_copy(update={"reports": max(50, round(h.reports * scale))}) for h in heavy]
    lo, hi = RANGES["spam_accounts"]
    spam = 0
    if bots or d.chance(0.3):
        spam = min(round(d.log(lo, hi)), accounts // 5)
    return heavy, spam


def _viral(d: _Draw, budget: float) -> tuple[int, tuple[int, int]]:
    """How many organic waves, and their size range, at most about 30% of the world's reports."""
    lo_size, hi_size = RANGES["viral_reports"]
    lo = round(d.log(lo_size, 600))
    hi = min(hi_size, round(lo * d.uniform(1.5, 5.0)))
    surges = d.integer(*RANGES["viral_surges"])
    surges = min(surges, int(0.3 * budget / ((lo + hi) / 2)))
    return surges, (lo, hi)


def _campaign(d: _Draw, days: int, surges: int) -> CampaignSpec:
    """One brigade of a random kind, placed inside the period."""
    composition = d.pick(["sockpuppet", "community", "mixed"], [0.4, 0.35, 0.25])
    start_day = d.uniform(0.5, days - 1.5)
    gap = d.uniform(0.5, 6.0)
    room = int((days - 1 - start_day) / gap) + 1
    targets = max(1, min(d.integer(*RANGES["campaign_targets"]), room))
    duration = d.log(*d.range("duration_minutes"))
    duration = min(duration, (days - start_day - (targets - 1) * gap) * 24 * 60)
    text = d.pick(["template", "paraphrase", "rewrite", "empty"], [0.3, 0.25, 0.2, 0.25])
    referral = d.chance(0.5)
    silent = composition == "community" and d.chance(0.5)  # no text, no link: a call in a chat
    if silent:
        text, referral = "empty", False
    puppets = composition != "community"
    return CampaignSpec(
        reporters=round(d.log(*d.range("campaign_reporters"))),
        targets=targets,
        target_gap_days=gap,
        participation=d.uniform(0.5, 1.0),
        start_day=start_day,
        duration_minutes=max(5.0, duration),
        reports_per_member=d.pick([1, 2, 3], [0.6, 0.25, 0.15]),
        composition=composition,
        text=text,
        reasons=d.integer(1, 3),
        proxy_pool=d.integer(2, 30) if d.chance(0.4 if puppets else 0.1) else 0,
        shared_devices=d.integer(2, 20) if puppets and d.chance(0.25) else 0,
        referral=referral,
        camouflage=d.log(*d.range("camouflage")) if d.chance(0.55) else 0.0,
        target_violating=d.chance(0.1),
        sockpuppet_share=d.uniform(0.2, 0.8),
        aged_days=d.uniform(*d.range("aged_days")) if puppets and d.chance(0.4) else 0.0,
        joins_waves=d.uniform(*d.range("joins_waves")) if surges and d.chance(0.35) else 0.0,
        # A brigade that files where everyone files leaves no trace in the surface.
        surfaces=dict(PLATFORM_SURFACES) if d.chance(0.15) else None,
    )
