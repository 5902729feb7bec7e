"""The simulated platform as data: accounts, planted campaigns and report events as arrays.

The generator fills a :class:`World`; the writer renders it to files. Both read these types and
the truth's role and label codes from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from reportguard.simulate.spec import SURFACES, CampaignSpec, HeavyReporterSpec, PlatformSpec
from reportguard.simulate.text import TextBank

# Account roles (truth).
REGULAR, VIOLATOR, POPULAR, SOCKPUPPET, THROWAWAY = 0, 1, 2, 3, 4
TRUSTED_FLAGGER, BOT, NEWCOMER = 5, 6, 7
ROLE_NAMES = (
    "regular",
    "violator",
    "popular_innocent",
    "sockpuppet",
    "throwaway",
    "trusted_flagger",
    "platform_bot",
    "newcomer",
)
# Report labels (truth).
ORGANIC, VIRAL, DISPUTE, CAMPAIGN, CAMOUFLAGE = 0, 1, 2, 3, 4
LABEL_NAMES = ("organic", "viral", "dispute", "campaign", "camouflage")
SOURCES = ("in_app", "web", "api")
FEED, PROFILE, SEARCH, COMMENTS, DIRECT_LINK, EXTERNAL = range(len(SURFACES))


@dataclass
class Events:
    """A batch of report events as parallel arrays (one row per report)."""

    t: np.ndarray  # seconds since the epoch
    reporter: np.ndarray
    target: np.ndarray
    reason: np.ndarray
    text: np.ndarray  # index into the text bank, -1 = none
    source: np.ndarray
    referrer: np.ndarray  # index into the referrer list, -1 = none
    ip: np.ndarray  # IPv4 as an integer, -1 = none
    device: np.ndarray  # index of the device string, -1 = none
    label: np.ndarray
    campaign: np.ndarray  # campaign number, -1 = none
    content: np.ndarray  # which of the target's posts was reported, -1 = the account itself
    surface: np.ndarray  # index into SURFACES: where in the app the report was filed

    @staticmethod
    def concat(parts: list[Events]) -> Events:
        names = Events.__dataclass_fields__
        return Events(**{n: np.concatenate([getattr(p, n) for p in parts]) for n in names})

    def take(self, index: np.ndarray) -> Events:
        names = Events.__dataclass_fields__
        return Events(**{n: getattr(self, n)[index] for n in names})

    def __len__(self) -> int:
        return len(self.t)


@dataclass
class Accounts:
    """Every account of the platform as arrays, indexed by account number."""

    created: np.ndarray
    followers: np.ndarray
    following: np.ndarray
    posts: np.ndarray
    handle: list[str]
    role: np.ndarray
    home_ip: np.ndarray
    category: np.ndarray  # violators: the reason their content really falls under

    def __len__(self) -> int:
        return len(self.created)


@dataclass
class CampaignTruth:
    number: int
    spec: CampaignSpec
    members: np.ndarray
    targets: np.ndarray
    referrer: int = -1


@dataclass
class Wave:
    """One organic viral wave: where it spread, which item, and (if cross-posted) from where."""

    target: int
    start: int
    end: int
    surface: int  # where the content spread (feed, search or comments)
    item: int  # the content item that spread
    category: int
    crossposted: bool = False
    referrer: int = -1
    reports: int = 0
    newcomers: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


@dataclass
class HeavyReporter:
    """A trusted flagger or a platform bot: one account, thousands of accurate reports."""

    account: int
    spec: HeavyReporterSpec


@dataclass
class World:
    """The platform and everything planted in it, plus what the writer needs to render events."""

    spec: PlatformSpec
    accounts: Accounts
    bank: TextBank
    referrers: list[str]
    device_ids: list[str]
    campaigns: list[CampaignTruth] = field(default_factory=list)
    viral_targets: list[int] = field(default_factory=list)
    waves: list[Wave] = field(default_factory=list)
    heavy: list[HeavyReporter] = field(default_factory=list)
    nat_gateways: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    spam: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    dispute_pairs: list[tuple[int, int]] = field(default_factory=list)
    planted: Events | None = None

    @property
    def t0(self) -> int:
        return int(self.spec.start.timestamp())
