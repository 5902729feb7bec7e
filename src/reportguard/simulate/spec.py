"""What a synthetic platform looks like: every knob is a field, so a new scenario needs no code.

Presets are ordinary ``PlatformSpec`` values; ``reportguard simulate --set
campaigns.0.reporters=50`` or a JSON spec file changes any field.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from reportguard.simulate.text import REASONS

Composition = Literal["sockpuppet", "community", "mixed"]
TextStyle = Literal["template", "paraphrase", "rewrite", "empty"]
HeavyKind = Literal["trusted_flagger", "bot"]
# Where in the app a report was filed (the ingest contract's ``surface``).
Surface = Literal["feed", "profile", "search", "comments", "direct_link", "external"]
SURFACES: tuple[Surface, ...] = ("feed", "profile", "search", "comments", "direct_link", "external")
# An ordinary platform's mix: most reports are filed where people read (the feed, comments).
PLATFORM_SURFACES: dict[Surface, float] = {
    "feed": 0.42,
    "comments": 0.2,
    "profile": 0.16,
    "search": 0.08,
    "direct_link": 0.09,
    "external": 0.05,
}
YEAR_DAYS = 365.25
VETERAN_DAYS = 20 * YEAR_DAYS


def _check_mix(mix: dict[Surface, float] | None, where: str) -> None:
    if mix is None:
        return
    if any(w < 0 for w in mix.values()) or sum(mix.values()) <= 0:
        raise ValueError(f"{where}: weights must be at least 0 and not all 0")


class CampaignSpec(BaseModel):
    """One coordinated mass-reporting campaign planted in the stream."""

    model_config = ConfigDict(extra="forbid")

    reporters: int = Field(60, ge=2, description="members of the ring")
    targets: int = Field(1, ge=1, description="victims, hit one after another")
    target_gap_days: float = Field(5.0, gt=0, description="days between successive targets")
    participation: float = Field(0.85, gt=0, le=1, description="share of members on each target")
    start_day: float = Field(3.0, ge=0, description="day of the first report")
    duration_minutes: float = Field(30.0, gt=0, description="how long one target's wave lasts")
    reports_per_member: int = Field(1, ge=1, le=20, description="reports per member per target")
    composition: Composition = "sockpuppet"
    text: TextStyle = "template"
    reasons: int = Field(1, ge=1, le=4, description="distinct reasons the ring uses")
    proxy_pool: int = Field(0, ge=0, description="shared IP pool size; 0 = members' own IPs")
    shared_devices: int = Field(0, ge=0, description="shared device pool size; 0 = own devices")
    referral: bool = Field(True, description="members arrive from one outside page")
    camouflage: float = Field(
        0.0, ge=0, description="ordinary-looking reports per member, elsewhere"
    )
    target_violating: bool = Field(False, description="the victim really violates (both labels)")
    sockpuppet_share: float = Field(
        0.5, ge=0, le=1, description="composition mixed: the share of members that are sockpuppets"
    )
    aged_days: float = Field(
        0.0,
        ge=0,
        description="sockpuppets registered together this many days before the first report "
        "(within two days of each other, warmed up with a few posts); 0 = in the two weeks before",
    )
    joins_waves: float = Field(
        0.0, ge=0, le=1, description="share of members who also report an organic viral wave"
    )
    surfaces: dict[Surface, float] | None = Field(
        None,
        description="where members file, as weights; default: through the referral link "
        "(external) or on the profile and by direct link",
    )

    @model_validator(mode="after")
    def _valid_mix(self) -> CampaignSpec:
        _check_mix(self.surfaces, "surfaces")
        return self


class HeavyReporterSpec(BaseModel):
    """One account that files thousands of accurate reports and is not a brigade.

    A trusted flagger (DSA Article 22: an organisation whose notices get priority) works through
    its own finds in office hours with a notice template; a platform bot (a spam or scam
    classifier) files around the clock in sweeps, mostly against freshly made spam accounts.
    """

    model_config = ConfigDict(extra="forbid")

    kind: HeavyKind = "trusted_flagger"
    reports: int = Field(2000, ge=1, description="reports over the whole period")
    accuracy: float = Field(
        0.95, ge=0, le=1, description="share of its reports about real violations"
    )
    categories: list[str] = Field(
        default_factory=list, description="reasons it specialises in; empty = every reason"
    )

    @model_validator(mode="after")
    def _known_categories(self) -> HeavyReporterSpec:
        unknown = sorted(set(self.categories) - set(REASONS))
        if unknown:
            raise ValueError(f"unknown categories {unknown}; use {', '.join(REASONS)}")
        return self


class PlatformSpec(BaseModel):
    """A whole synthetic platform: accounts, organic reporting, hard negatives and campaigns."""

    model_config = ConfigDict(extra="forbid")

    seed: int = 7
    start: datetime = datetime(2026, 9, 1, tzinfo=UTC)
    days: int = Field(30, ge=1)
    accounts: int = Field(20_000, ge=100)
    violator_share: float = Field(0.01, gt=0, lt=0.5, description="accounts that really violate")
    popular_innocent: int = Field(20, ge=0, description="big creators with a steady trickle")
    organic_reports_per_day: int = Field(1_200, ge=0)
    violation_share: float = Field(0.6, ge=0, le=1, description="organic reports about violators")
    viral_surges: int = Field(4, ge=0, description="organic waves against violators going viral")
    viral_reports: tuple[int, int] = (300, 1500)
    disputes: int = Field(10, ge=0, description="pairs of accounts that report each other")
    throwaway_clusters: int = Field(6, ge=0, description="innocent batches of fresh accounts")
    campaigns: list[CampaignSpec] = Field(default_factory=list)
    # The fields below came later; at their defaults the presets are what they always were.
    utc_offset_hours: int = Field(
        0, ge=-12, le=14, description="platform-local time (UTC+h): shifts the daily rhythm"
    )
    account_age_median_days: float = Field(650.0, gt=0, description="log-normal account ages")
    account_age_sigma: float = Field(1.0, ge=0, description="spread of the log-normal ages")
    account_age_max_days: float = Field(5500.0, ge=3, description="oldest account, in days")
    veteran_share: float = Field(
        0.0, ge=0, lt=1, description="accounts 20 years old or more (up to the oldest)"
    )
    mistaken_severe_share: float | None = Field(
        None,
        ge=0,
        le=1,
        description="share of severe reasons (hate speech, nudity, violence) among reports about "
        "innocent accounts; default: the usual reason mix (about 0.26)",
    )
    nat_share: float = Field(
        0.0, ge=0, le=1, description="accounts behind a carrier-grade NAT gateway address"
    )
    nat_gateways: int = Field(
        0, ge=0, description="gateway addresses they share (a few carry most)"
    )
    surfaces: dict[Surface, float] = Field(
        default_factory=lambda: dict(PLATFORM_SURFACES),
        description="the platform's own surface mix for ordinary reports, as weights",
    )
    viral_surface_share: float = Field(
        0.7, ge=0, le=1, description="share of a wave filed on the surface where it spread"
    )
    crosspost_share: float = Field(
        0.0, ge=0, le=1, description="share of viral surges cross-posted from another site"
    )
    crosspost_referred: float = Field(
        0.6, ge=0, le=1, description="share of a cross-posted wave arriving through its link"
    )
    crosspost_newcomers: float = Field(
        0.0, ge=0, le=1, description="share of a cross-posted wave's reporters who just signed up"
    )
    content_spread: bool = Field(
        False,
        description="a viral wave concentrates on the item that spread; a brigade spreads over "
        "the target's older items (off: every report's item drawn the same way)",
    )
    spam_accounts: int = Field(
        0, ge=0, description="spam accounts made during the period (violators; bots' targets)"
    )
    heavy_reporters: list[HeavyReporterSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _campaigns_inside_the_period(self) -> PlatformSpec:
        for number, campaign in enumerate(self.campaigns):
            if campaign.start_day >= self.days:
                raise ValueError(
                    f"campaign {number} starts on day {campaign.start_day}, after the last day "
                    f"({self.days}); set campaigns.{number}.start_day or a longer days"
                )
        lo, hi = self.viral_reports
        if not 0 < lo <= hi:
            raise ValueError("viral_reports must be two sizes, smallest first")
        if self.veteran_share > 0 and self.account_age_max_days < VETERAN_DAYS:
            raise ValueError(
                f"veteran_share needs account_age_max_days of at least {VETERAN_DAYS:g} (20 years)"
            )
        if self.nat_share > 0 and self.nat_gateways < 1:
            raise ValueError("nat_share needs at least one of nat_gateways")
        _check_mix(self.surfaces, "surfaces")
        return self


def _sized(k: float, scale: float) -> int:
    return max(5, int(k * scale))


def _mixed_campaigns(scale: float, days: int) -> list[CampaignSpec]:
    """A spread of campaign kinds, sized by ``scale``, placed through the period."""

    def n(k: float) -> int:
        return _sized(k, scale)

    last = max(1.0, days - 3.0)
    return [
        CampaignSpec(reporters=n(60), start_day=min(2.5, last), duration_minutes=20),
        CampaignSpec(
            reporters=n(200),
            start_day=min(6.3, last),
            duration_minutes=45,
            proxy_pool=12,
            reasons=2,
            reports_per_member=3,
        ),
        CampaignSpec(
            reporters=n(25),
            start_day=min(9.1, last),
            duration_minutes=15,
            text="empty",
            referral=False,
        ),
        CampaignSpec(
            reporters=n(80),
            start_day=min(4.2, last),
            targets=4,
            target_gap_days=5,
            duration_minutes=90,
            text="paraphrase",
        ),
        CampaignSpec(
            reporters=n(120),
            start_day=min(12.7, last),
            composition="community",
            text="paraphrase",
            reasons=3,
            duration_minutes=240,
            reports_per_member=2,
        ),
        CampaignSpec(
            reporters=n(50),
            start_day=min(15.4, last),
            duration_minutes=60 * 24 * 3,
            text="template",
            proxy_pool=6,
        ),
        CampaignSpec(
            reporters=n(70),
            start_day=min(18.8, last),
            camouflage=3.0,
            duration_minutes=40,
            shared_devices=8,
        ),
        CampaignSpec(
            reporters=n(40), start_day=min(21.2, last), target_violating=True, duration_minutes=30
        ),
    ]


def _adversarial_campaigns(scale: float) -> list[CampaignSpec]:
    def n(k: float) -> int:
        return _sized(k, scale)

    return [
        CampaignSpec(
            reporters=n(150),
            start_day=3.5,
            composition="community",
            text="paraphrase",
            reasons=3,
            referral=True,
            duration_minutes=180,
            camouflage=2.0,
        ),
        CampaignSpec(
            reporters=n(90),
            start_day=6.0,
            composition="community",
            text="empty",
            reasons=2,
            referral=False,
            duration_minutes=60 * 24 * 2,
        ),
        CampaignSpec(
            reporters=n(70),
            start_day=8.2,
            camouflage=6.0,
            text="paraphrase",
            duration_minutes=60 * 12,
            targets=3,
            target_gap_days=6,
        ),
        CampaignSpec(
            reporters=n(40),
            start_day=11.0,
            duration_minutes=60 * 24 * 5,
            text="paraphrase",
            camouflage=4.0,
            proxy_pool=0,
            referral=False,
        ),
        CampaignSpec(
            reporters=n(200),
            start_day=14.3,
            composition="community",
            text="paraphrase",
            duration_minutes=90,
            camouflage=3.0,
            reasons=2,
        ),
        CampaignSpec(
            reporters=n(60),
            start_day=17.9,
            targets=5,
            target_gap_days=3,
            camouflage=5.0,
            duration_minutes=120,
            text="empty",
            referral=False,
        ),
    ]


PRESETS: dict[str, PlatformSpec] = {
    # about 50k reports: the demo and the tests
    "small": PlatformSpec(
        days=30,
        accounts=20_000,
        organic_reports_per_day=1_450,
        viral_surges=4,
        campaigns=_mixed_campaigns(1.0, 30),
    ),
    # about 1M reports
    "medium": PlatformSpec(
        days=60,
        accounts=200_000,
        organic_reports_per_day=15_000,
        viral_surges=12,
        viral_reports=(500, 4000),
        popular_innocent=80,
        disputes=60,
        throwaway_clusters=20,
        campaigns=_mixed_campaigns(2.0, 60)
        + _mixed_campaigns(0.6, 60)[:4]
        + [CampaignSpec(reporters=2500, start_day=33.3, duration_minutes=50, proxy_pool=40)],
    ),
    # about 10M reports
    "large": PlatformSpec(
        days=90,
        accounts=1_000_000,
        organic_reports_per_day=105_000,
        viral_surges=30,
        viral_reports=(1000, 8000),
        popular_innocent=200,
        disputes=200,
        throwaway_clusters=50,
        campaigns=_mixed_campaigns(4.0, 90)
        + _mixed_campaigns(1.0, 90)
        + [CampaignSpec(reporters=5000, start_day=47.5, duration_minutes=60, proxy_pool=80)],
    ),
    # the hard cases: real-account brigades, camouflage, slow drip
    "adversarial": PlatformSpec(
        days=30,
        accounts=30_000,
        organic_reports_per_day=1_500,
        viral_surges=8,
        viral_reports=(300, 2000),
        campaigns=_adversarial_campaigns(1.0),
    ),
}


def preset(name: str) -> PlatformSpec:
    """A copy of a named preset (so callers may change it freely)."""
    try:
        return PRESETS[name].model_copy(deep=True)
    except KeyError:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}") from None
