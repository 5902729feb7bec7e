"""The synthetic platform: accounts, organic reporting, hard negatives and planted campaigns.

Everything is drawn from one seeded NumPy generator, so a seed reproduces the same stream byte
for byte. Events are numeric arrays (time, reporter, target, reason, text index, ...); organic
reports are drawn one day at a time and merged with the planted events of that day, so memory
stays bounded by a day's volume whatever the length of the run.

How the phenomena differ, which is what detection has to learn (not the quirks of this code):

- Organic reports follow exposure (popular accounts are seen, so reported, more) and truth (most
  land on accounts that really violate); they come from old, unrelated accounts at a daily rhythm.
- A viral surge is organic too: one violating account's content spreads, and a wave of reports
  follows from many old, unrelated accounts with varied text and reasons, over a day or two.
- A campaign is a fixed group of members who report the same victims within a short window,
  again and again, often with one text template, from fresh accounts, shared infrastructure or
  one outside referral; or, the hard case, from real old accounts mobilised by a post.
- Where a report is filed (its ``surface``) follows how the reporter got there: an organic wave
  arrives where the content spread (the feed, search, comments) and on the item that spread; a
  mobilised brigade arrives on the victim's profile or through a link, and digs through older items.
- Heavy reporters that are not brigades (trusted flaggers, platform bots) file thousands of
  accurate reports over thousands of targets, in office-hour sessions or in round-the-clock sweeps.

Everything the later knobs add is drawn only when the knob is on, and surfaces (which every report
has) come from a generator of their own: at their defaults the presets are what they always were.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from reportguard.simulate.spec import (
    SURFACES,
    VETERAN_DAYS,
    CampaignSpec,
    HeavyReporterSpec,
    PlatformSpec,
    Surface,
)
from reportguard.simulate.text import REASON_WEIGHTS, REASONS, TextBank, reason_weights
from reportguard.simulate.world import (
    BOT,
    CAMOUFLAGE,
    CAMPAIGN,
    COMMENTS,
    DIRECT_LINK,
    DISPUTE,
    EXTERNAL,
    FEED,
    NEWCOMER,
    ORGANIC,
    POPULAR,
    PROFILE,
    REGULAR,
    SEARCH,
    SOCKPUPPET,
    THROWAWAY,
    TRUSTED_FLAGGER,
    VIOLATOR,
    VIRAL,
    Accounts,
    CampaignTruth,
    Events,
    HeavyReporter,
    Wave,
    World,
)

DAY = 86_400
# Share of reports by hour of day (UTC, platform-local): quiet at night, peak in the evening.
HOURLY = np.array(
    [
        2,
        1.2,
        0.8,
        0.6,
        0.6,
        0.8,
        1.5,
        2.5,
        3.5,
        4,
        4.2,
        4.5,
        4.8,
        4.8,
        4.6,
        4.6,
        4.8,
        5.2,
        5.8,
        6.4,
        6.6,
        6.0,
        4.5,
        3.0,
    ]
)
HOURLY = HOURLY / HOURLY.sum()
# Where a brigade files without a link: on the victim's profile, or by links passed around a chat.
_BRIGADE_SURFACES = {PROFILE: 0.65, DIRECT_LINK: 0.25, SEARCH: 0.1}
_LINKED_SURFACES = {EXTERNAL: 0.8, DIRECT_LINK: 0.2}  # arriving through the organiser's link
_DISPUTE_SURFACES = {PROFILE: 0.45, COMMENTS: 0.35, DIRECT_LINK: 0.2}
_SPREAD_SURFACES = {FEED: 0.6, COMMENTS: 0.25, SEARCH: 0.15}  # where content spreads
# The in-app referrers of ordinary reports, and the surface each one means.
_REFERRER_SURFACE = np.array([DIRECT_LINK, SEARCH, PROFILE, DIRECT_LINK])  # notification, ...
_CROSSPOST_SITES = ["reddit.example", "forum.example.org", "news.example.net", "chan.example"]

_FIRST = [
    "alex",
    "sam",
    "maria",
    "jon",
    "li",
    "fatima",
    "noah",
    "emma",
    "yuki",
    "omar",
    "lea",
    "ivan",
    "ana",
    "tom",
    "zoe",
    "raj",
    "nina",
    "leo",
    "mia",
    "kai",
]
_WORDS = [
    "sun",
    "moon",
    "river",
    "pixel",
    "coffee",
    "wolf",
    "art",
    "travel",
    "gamer",
    "vegan",
    "photo",
    "music",
    "code",
    "bike",
    "chef",
    "books",
    "storm",
    "lake",
    "fox",
    "mint",
]


def _lognormal(rng: np.random.Generator, median: float, sigma: float, n: int) -> np.ndarray:
    return np.floor(rng.lognormal(np.log(median), sigma, n)).astype(np.int64)


def _random_ips(rng: np.random.Generator, n: int) -> np.ndarray:
    """Addresses in 100.64.0.0/10 (carrier-grade NAT space): realistic for mobile users."""
    return (100 << 24 | 64 << 16) + rng.integers(0, 1 << 22, size=n, dtype=np.int64)


def _handles(rng: np.random.Generator, n: int, generic: bool) -> list[str]:
    first = rng.integers(0, len(_FIRST), n)
    word = rng.integers(0, len(_WORDS), n)
    digits = rng.integers(0, 100_000_000, n)
    style = rng.integers(0, 4, n)
    out = []
    for f, w, d, s in zip(first, word, digits, style, strict=True):
        if generic:
            out.append(
                f"user{d % 10**7:07d}" if s < 2 else f"{_FIRST[f]}{_FIRST[(f + 7) % 20]}{d % 10**4}"
            )
        elif s == 0:
            out.append(f"{_FIRST[f]}_{_WORDS[w]}")
        elif s == 1:
            out.append(f"{_WORDS[w]}{_FIRST[f]}{d % 100}")
        elif s == 2:
            out.append(f"{_FIRST[f]}.{_WORDS[w]}{d % 1000}")
        else:
            out.append(f"the{_WORDS[w]}{_FIRST[f]}")
    return out


class _Sampler:
    """Weighted draws from a large population in O(log n) each (one cumulative sum, reused)."""

    def __init__(self, index: np.ndarray, weights: np.ndarray) -> None:
        self.index = index
        cumulative = np.cumsum(weights, dtype=np.float64)
        self.cdf = cumulative / cumulative[-1]

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        pos = np.searchsorted(self.cdf, rng.random(n), side="right")
        drawn: np.ndarray = self.index[np.minimum(pos, len(self.index) - 1)]
        return drawn


def _times_in_day(
    rng: np.random.Generator, day_start: int, n: int, hourly: np.ndarray = HOURLY
) -> np.ndarray:
    hours = rng.choice(24, size=n, p=hourly)
    return day_start + hours * 3600 + rng.integers(0, 3600, n)


def _diurnal_thin(
    rng: np.random.Generator, t: np.ndarray, hourly: np.ndarray = HOURLY
) -> np.ndarray:
    """Keep each time with a probability that follows the daily rhythm (for organic waves)."""
    hour = (t % DAY) // 3600
    keep: np.ndarray = rng.random(len(t)) < hourly[hour] / hourly.max()
    return keep


def _codes(mix: dict[Surface, float]) -> dict[int, float]:
    return {SURFACES.index(name): weight for name, weight in mix.items()}


class Simulation:
    """Builds a :class:`World` from a spec and streams its events day by day."""

    def __init__(self, spec: PlatformSpec) -> None:
        self.spec = spec
        self.rng = np.random.default_rng(spec.seed)
        # Surfaces and where reports land among a target's items: a stream of their own, so
        # adding them changed nothing else of a seeded world.
        self.side = np.random.default_rng([spec.seed, 6])
        # The daily rhythm is platform-local: its UTC hours shift with the platform's offset.
        self.hourly = np.roll(HOURLY, -spec.utc_offset_hours)
        self.platform_mix = _codes(spec.surfaces)

    # -- accounts ---------------------------------------------------------------------------

    def build(self) -> World:
        spec, rng = self.spec, self.rng
        t0 = int(spec.start.timestamp())
        n = spec.accounts
        age_days = np.clip(
            rng.lognormal(np.log(spec.account_age_median_days), spec.account_age_sigma, n),
            3,
            spec.account_age_max_days,
        )
        if spec.veteran_share > 0:  # forum-era accounts, 20 years old and more
            veteran = np.flatnonzero(rng.random(n) < spec.veteran_share)
            age_days[veteran] = rng.uniform(VETERAN_DAYS, spec.account_age_max_days, len(veteran))
        created = (t0 - age_days * DAY).astype(np.int64)
        followers = _lognormal(rng, 35, 1.7, n)
        following = _lognormal(rng, 110, 1.0, n)
        posts = np.floor(_lognormal(rng, 60, 1.4, n) * np.sqrt(age_days / 650)).astype(np.int64)
        role = np.zeros(n, dtype=np.int8)
        category = np.full(n, -1, dtype=np.int8)

        order = rng.permutation(n)
        n_viol = max(5, int(n * spec.violator_share))
        violators = order[:n_viol]
        role[violators] = VIOLATOR
        category[violators] = rng.choice(len(REASONS), size=n_viol, p=REASON_WEIGHTS)
        followers[violators] = _lognormal(rng, 300, 1.8, n_viol)  # violators seek reach
        popular = order[n_viol : n_viol + spec.popular_innocent]
        role[popular] = POPULAR
        followers[popular] = _lognormal(rng, 150_000, 0.8, len(popular))

        accounts = Accounts(
            created=created,
            followers=followers,
            following=following,
            posts=posts,
            handle=_handles(rng, n, generic=False),
            role=role,
            home_ip=_random_ips(rng, n),
            category=category,
        )
        # Households and offices: a few accounts share an address.
        shared = rng.random(n) < 0.03
        accounts.home_ip[shared] = accounts.home_ip[rng.integers(0, n, int(shared.sum()))]
        gateways = np.zeros(0, dtype=np.int64)
        if spec.nat_share > 0:
            gateways = self._carrier_nat(accounts, n)
        for _ in range(spec.throwaway_clusters):  # fresh accounts that are not a campaign
            day = rng.uniform(0, spec.days)
            self._add_fresh(accounts, int(rng.integers(20, 60)), t0 + int(day * DAY), THROWAWAY)
        spam = self._add_spam(accounts) if spec.spam_accounts else np.zeros(0, dtype=np.int64)
        heavy = [HeavyReporter(self._add_heavy(accounts, h), h) for h in spec.heavy_reporters]

        world = World(
            spec=spec,
            accounts=accounts,
            bank=TextBank(rng),
            referrers=["notification", "search", "profile", "share"],
            device_ids=[],
            heavy=heavy,
            nat_gateways=gateways,
            spam=spam,
        )
        self._plant(world)
        world.device_ids = [
            f"{x:016x}" for x in rng.integers(0, 1 << 62, len(world.accounts) + 4096)
        ]
        return world

    def _add_fresh(
        self, accounts: Accounts, n: int, around: int, role: int, aged_days: float = 0.0
    ) -> np.ndarray:
        """Append ``n`` new accounts created in a cluster shortly before ``around``, or, with
        ``aged_days``, registered together that long before it and warmed up since."""
        rng = self.rng
        if aged_days > 0:
            registered = around - int(aged_days * DAY)
            created = registered + rng.integers(0, 2 * DAY, n)
            return self._append(
                accounts,
                created=created,
                followers=_lognormal(rng, 8, 1.0, n),
                following=_lognormal(rng, 60, 0.8, n),
                posts=_lognormal(rng, 12, 0.9, n),
                handle=_handles(rng, n, generic=rng.random() < 0.5),
                role=role,
                home_ip=_random_ips(rng, n),
            )
        created = (
            around
            - rng.uniform(0.2, 14, n).astype(np.int64) * DAY // 1
            - rng.integers(0, 6 * 3600, n)
        )
        return self._append(
            accounts,
            created=created,
            followers=rng.integers(0, 6, n),
            following=rng.integers(0, 40, n),
            posts=rng.integers(0, 4, n),
            handle=_handles(rng, n, generic=True),
            role=role,
            home_ip=_random_ips(rng, n),
        )

    @staticmethod
    def _append(
        accounts: Accounts,
        *,
        created: np.ndarray,
        followers: np.ndarray,
        following: np.ndarray,
        posts: np.ndarray,
        handle: list[str],
        role: int,
        home_ip: np.ndarray,
        category: np.ndarray | None = None,
    ) -> np.ndarray:
        start, n = len(accounts), len(created)
        accounts.created = np.concatenate([accounts.created, created.astype(np.int64)])
        accounts.followers = np.concatenate([accounts.followers, followers])
        accounts.following = np.concatenate([accounts.following, following])
        accounts.posts = np.concatenate([accounts.posts, posts])
        accounts.handle += handle
        accounts.role = np.concatenate([accounts.role, np.full(n, role, dtype=np.int8)])
        accounts.home_ip = np.concatenate([accounts.home_ip, home_ip.astype(np.int64)])
        if category is None:
            category = np.full(n, -1, dtype=np.int8)
        accounts.category = np.concatenate([accounts.category, category.astype(np.int8)])
        return np.arange(start, start + n)

    def _carrier_nat(self, accounts: Accounts, n: int) -> np.ndarray:
        """Mobile users behind carrier-grade NAT: many unrelated people share one address."""
        rng, spec = self.rng, self.spec
        gateways = _random_ips(rng, spec.nat_gateways)
        behind = np.flatnonzero(rng.random(n) < spec.nat_share)
        weights = 1.0 / np.arange(1, len(gateways) + 1)  # a few gateways carry most users
        accounts.home_ip[behind] = gateways[
            rng.choice(len(gateways), size=len(behind), p=weights / weights.sum())
        ]
        return gateways

    def _add_spam(self, accounts: Accounts) -> np.ndarray:
        """Spam accounts made in batches through the period: violators, mostly for bots to find."""
        rng, spec = self.rng, self.spec
        t0, n = int(spec.start.timestamp()), spec.spam_accounts
        batches = max(1, n // 40)
        batch_time = rng.integers(t0 - 3 * DAY, t0 + spec.days * DAY - 2 * 3600, batches)
        batch = np.sort(rng.integers(0, batches, n))
        created = batch_time[batch] + rng.integers(0, 3600, n)
        proxies = _random_ips(rng, batches)  # each batch made from one rented address
        return self._append(
            accounts,
            created=created,
            followers=rng.integers(0, 12, n),
            following=_lognormal(rng, 400, 1.0, n),
            posts=rng.integers(1, 30, n),
            handle=_handles(rng, n, generic=True),
            role=VIOLATOR,
            home_ip=proxies[batch],
            category=np.where(rng.random(n) < 0.7, REASONS.index("spam"), REASONS.index("scam")),
        )

    def _add_heavy(self, accounts: Accounts, spec: HeavyReporterSpec) -> int:
        """The account of a trusted flagger (an organisation) or a platform bot."""
        rng = self.rng
        t0 = int(self.spec.start.timestamp())
        age = rng.uniform(1, 8) * 365 * DAY
        trusted = spec.kind == "trusted_flagger"
        word = _WORDS[int(rng.integers(len(_WORDS)))]
        handle = f"{word}_watch_ngo" if trusted else f"safety_{word}_bot"
        index = self._append(
            accounts,
            created=np.array([t0 - int(age)]),
            followers=np.array([int(rng.integers(200, 20_000)) if trusted else 0]),
            following=np.array([int(rng.integers(0, 50))]),
            posts=np.array([int(rng.integers(10, 500)) if trusted else 0]),
            handle=[handle],
            role=TRUSTED_FLAGGER if trusted else BOT,
            home_ip=_random_ips(rng, 1),
        )
        return int(index[0])

    # -- planted events: viral surges, disputes, campaigns ----------------------------------

    def _plant(self, world: World) -> None:
        spec, rng, acc = self.spec, self.rng, world.accounts
        n_base = spec.accounts
        regular = np.flatnonzero(acc.role[:n_base] == REGULAR)
        # Waves and mobilised communities draw on the ordinary user base, young accounts included
        # (a rule like "young reporters mean a brigade" must not work here, as it does not in life).
        ordinary = regular
        parts: list[Events] = []
        used_targets: set[int] = set()
        # Waves and brigades hit the platform's own accounts, not the spam made during the run.
        violators = np.flatnonzero(acc.role[:n_base] == VIOLATOR)

        for _ in range(spec.viral_surges):
            target = int(rng.choice(violators))
            while target in used_targets:
                target = int(rng.choice(violators))
            used_targets.add(target)
            world.viral_targets.append(target)
            parts.append(self._viral(world, target, ordinary))

        for _ in range(spec.disputes):
            a, b = (int(x) for x in rng.choice(regular, 2, replace=False))
            world.dispute_pairs.append((a, b))
            parts.append(self._dispute(world, a, b))

        victims = regular[(acc.followers[regular] < 5_000)]
        for number, cspec in enumerate(spec.campaigns):
            parts.extend(
                self._campaign(
                    world,
                    number,
                    cspec,
                    ordinary=ordinary,
                    victims=victims,
                    violators=violators,
                    used=used_targets,
                )
            )
        for heavy in world.heavy:
            parts.append(self._heavy(world, heavy, regular))
        world.planted = Events.concat(parts) if parts else None

    def _events(
        self,
        t: np.ndarray,
        reporter: np.ndarray,
        target: np.ndarray,
        reason: np.ndarray,
        text: np.ndarray,
        *,
        label: int,
        campaign: int = -1,
        referrer: np.ndarray | None = None,
        ip: np.ndarray | None = None,
        device: np.ndarray | None = None,
        acc: Accounts | None = None,
        surface: np.ndarray | None = None,
    ) -> Events:
        rng = self.rng
        n = len(t)
        if surface is None:
            surface = self._surfaces(n, self.platform_mix)
        if ip is None:
            assert acc is not None
            ip = acc.home_ip[reporter].copy()
            roaming = rng.random(n) < 0.15
            ip[roaming] = _random_ips(rng, int(roaming.sum()))
        if device is None:
            device = reporter.astype(np.int64).copy()
            device[rng.random(n) < 0.1] = -1
        return Events(
            t=t.astype(np.int64),
            reporter=reporter.astype(np.int64),
            target=target.astype(np.int64),
            reason=reason.astype(np.int8),
            text=text.astype(np.int32),
            source=rng.choice(3, size=n, p=[0.7, 0.25, 0.05]).astype(np.int8),
            referrer=(
                np.full(n, -1, dtype=np.int32) if referrer is None else referrer.astype(np.int32)
            ),
            ip=ip.astype(np.int64),
            device=device.astype(np.int64),
            label=np.full(n, label, dtype=np.int8),
            campaign=np.full(n, campaign, dtype=np.int16),
            content=np.where(rng.random(n) < 0.6, rng.zipf(1.8, n).clip(1, 50) - 1, -1).astype(
                np.int16
            ),
            surface=surface.astype(np.int8),
        )

    def _surfaces(self, n: int, mix: dict[int, float]) -> np.ndarray:
        """``n`` surface codes drawn from a mix (weights by surface code)."""
        codes = np.array(list(mix), dtype=np.int8)
        weights = np.array(list(mix.values()), dtype=np.float64)
        drawn: np.ndarray = codes[self.side.choice(len(codes), size=n, p=weights / weights.sum())]
        return drawn

    def _older_items(self, posts: np.ndarray) -> np.ndarray:
        """Items a brigade digs up on its victim's profile (``posts``: the victim's post count
        per report): older posts, not the newest three (item 0 is the newest), or the account
        itself."""
        side = self.side
        n_posts = np.clip(posts, 1, 60)
        low = np.where(n_posts > 3, 3, 0)
        item = low + np.floor(side.random(len(posts)) * (n_posts - low)).astype(np.int64)
        older: np.ndarray = np.where(side.random(len(posts)) < 0.25, -1, item).astype(np.int16)
        return older

    def _viral(self, world: World, target: int, pool: np.ndarray) -> Events:
        """A violating account goes viral: a wave of organic reports over a day or two."""
        spec, rng, acc = self.spec, self.rng, world.accounts
        lo, hi = spec.viral_reports
        size = int(rng.integers(lo, hi + 1))
        start = world.t0 + int(rng.uniform(1, max(1.5, spec.days - 3)) * DAY)
        # Rise and decay over about a day (gamma), thinned by the daily rhythm: draw extra.
        t = start + (rng.gamma(2.0, 6 * 3600, int(size * 2.2))).astype(np.int64)
        t = np.sort(t[_diurnal_thin(rng, t, self.hourly)][:size])
        reporters = rng.choice(pool, size=len(t), replace=len(t) > len(pool))
        reasons = np.where(
            rng.random(len(t)) < 0.7,
            acc.category[target],
            rng.choice(len(REASONS), len(t), p=REASON_WEIGHTS),
        )
        text = world.bank.organic(reasons, rng, empty=0.35)
        referrer = np.full(len(t), -1, dtype=np.int32)
        shared = rng.random(len(t)) < 0.25  # arrived through many different shares
        for i in np.flatnonzero(shared):
            world.referrers.append(f"https://example.com/social/p/{int(rng.integers(1 << 40)):x}")
            referrer[i] = len(world.referrers) - 1
        wave = Wave(
            target=target,
            start=int(t[0]) if len(t) else start,
            end=int(t[-1]) if len(t) else start,
            surface=int(self._surfaces(1, _SPREAD_SURFACES)[0]),
            item=int(self.side.integers(0, 3)),
            category=int(acc.category[target]),
            reports=len(t),
        )
        world.waves.append(wave)
        referred = np.zeros(len(t), dtype=bool)
        if spec.crosspost_share > 0 and rng.random() < spec.crosspost_share:
            referred = self._crosspost(world, wave, t, reporters, text, referrer)
        # Where the reports were filed: where the content spread, or through the share links.
        surface = np.where(
            self.side.random(len(t)) < spec.viral_surface_share,
            wave.surface,
            self._surfaces(len(t), self.platform_mix),
        )
        linked = np.where(self.side.random(len(t)) < 0.7, EXTERNAL, DIRECT_LINK)
        surface = np.where(referrer >= 0, linked, surface)
        surface[referred] = EXTERNAL
        events = self._events(
            t,
            reporters,
            np.full(len(t), target),
            reasons,
            text,
            label=VIRAL,
            referrer=referrer,
            acc=acc,
            surface=surface,
        )
        if spec.content_spread:  # nearly everyone reports the item that spread
            on_item = self.side.random(len(t)) < 0.9
            events.content[on_item] = wave.item
        return events

    def _crosspost(  # noqa: PLR0917 - the wave's arrays, changed in place
        self,
        world: World,
        wave: Wave,
        t: np.ndarray,
        reporters: np.ndarray,
        text: np.ndarray,
        referrer: np.ndarray,
    ) -> np.ndarray:
        """The wave was cross-posted from another site: many arrive through one outside link,
        repeat the post's words, and some sign up just to report. Still organic: the account
        really violates, and nobody organised the reporters."""
        spec, rng, acc = self.spec, self.rng, world.accounts
        site = _CROSSPOST_SITES[int(rng.integers(len(_CROSSPOST_SITES)))]
        world.referrers.append(f"https://{site}/t/{int(rng.integers(1 << 40)):x}")
        wave.crossposted, wave.referrer = True, len(world.referrers) - 1
        referred = rng.random(len(t)) < spec.crosspost_referred
        referrer[referred] = wave.referrer
        echo = np.flatnonzero(referred & (rng.random(len(t)) < 0.7))
        text[echo] = world.bank.echo(wave.category, len(echo), rng)
        if spec.crosspost_newcomers > 0:
            chosen = np.flatnonzero(referred & (rng.random(len(t)) < spec.crosspost_newcomers))
            k = len(chosen)
            created = t[chosen] - rng.integers(120, 3 * 3600, k)
            wave.newcomers = self._append(
                acc,
                created=created,
                followers=rng.integers(0, 4, k),
                following=rng.integers(0, 30, k),
                posts=rng.integers(0, 2, k),
                handle=_handles(rng, k, generic=False),
                role=NEWCOMER,
                home_ip=_random_ips(rng, k),
            )
            reporters[chosen] = wave.newcomers
        return referred

    def _dispute(self, world: World, a: int, b: int) -> Events:
        """Two accounts quarrel and report each other back and forth."""
        rng = self.rng
        rounds = int(rng.integers(2, 7))
        t = (
            world.t0
            + int(rng.uniform(0, self.spec.days - 1) * DAY)
            + np.cumsum(rng.exponential(3 * 3600, rounds)).astype(np.int64)
        )
        reporter = np.array([a if i % 2 == 0 else b for i in range(rounds)])
        target = np.array([b if i % 2 == 0 else a for i in range(rounds)])
        reasons = np.where(rng.random(rounds) < 0.8, 1, rng.choice(len(REASONS), rounds))
        text = world.bank.organic(reasons, rng, empty=0.2)
        surface = self._surfaces(rounds, _DISPUTE_SURFACES)
        return self._events(
            t, reporter, target, reasons, text, label=DISPUTE, acc=world.accounts, surface=surface
        )

    def _members(
        self, world: World, cs: CampaignSpec, first: int, ordinary: np.ndarray
    ) -> np.ndarray:
        """A brigade's accounts, by its composition."""
        rng, acc = self.rng, world.accounts
        if cs.composition == "sockpuppet":
            return self._add_fresh(acc, cs.reporters, first, SOCKPUPPET, cs.aged_days)
        if cs.composition == "community":
            # A community mobilised by a post: real, older accounts, some of them related.
            return rng.choice(ordinary, size=cs.reporters, replace=False)
        # mixed: an organiser's sockpuppets beside the real followers they rallied
        puppets = min(cs.reporters, round(cs.reporters * cs.sockpuppet_share))
        return np.concatenate(
            [
                self._add_fresh(acc, puppets, first, SOCKPUPPET, cs.aged_days),
                rng.choice(ordinary, size=cs.reporters - puppets, replace=False),
            ]
        )

    def _campaign(
        self,
        world: World,
        number: int,
        cs: CampaignSpec,
        *,
        ordinary: np.ndarray,
        victims: np.ndarray,
        violators: np.ndarray,
        used: set[int],
    ) -> list[Events]:
        rng, acc = self.rng, world.accounts
        first = world.t0 + int(cs.start_day * DAY)
        members = self._members(world, cs, first, ordinary)
        pool = violators if cs.target_violating else victims
        targets = np.array(
            [t for t in rng.permutation(pool)[: cs.targets * 3] if int(t) not in used][: cs.targets]
        )
        used.update(int(t) for t in targets)
        truth = CampaignTruth(number=number, spec=cs, members=members, targets=targets)
        if cs.referral:
            world.referrers.append(
                f"https://example.net/forum/t/{number}-{int(rng.integers(1 << 30)):x}"
            )
            truth.referrer = len(world.referrers) - 1
        world.campaigns.append(truth)

        ring_reasons = rng.choice(len(REASONS), size=cs.reasons, replace=False, p=REASON_WEIGHTS)
        proxies = _random_ips(rng, cs.proxy_pool) if cs.proxy_pool else None
        devices = (
            len(acc) + 4096 - 1 - rng.integers(0, 4096, cs.shared_devices)
            if cs.shared_devices
            else None
        )
        claim = int(rng.integers(0, 1000))
        out: list[Events] = []
        for k, target in enumerate(targets):
            start = first + int(k * cs.target_gap_days * DAY)
            who = members[rng.random(len(members)) < cs.participation]
            if len(who) < 2:
                who = members[:2]
            reporter = np.repeat(who, cs.reports_per_member)
            n = len(reporter)
            span = cs.duration_minutes * 60
            offsets = rng.beta(1.0, 1.6, n) * span if span <= DAY else rng.uniform(0, span, n)
            t = start + offsets.astype(np.int64)
            reasons = np.where(rng.random(n) < 0.7, ring_reasons[0], rng.choice(ring_reasons, n))
            text = world.bank.campaign(cs.text, n, rng, claim)
            referrer = None
            if truth.referrer >= 0:
                referrer = np.where(rng.random(n) < 0.9, truth.referrer, -1)
            ip = (
                proxies[np.minimum(rng.zipf(1.6, n) - 1, len(proxies) - 1)]
                if proxies is not None
                else None
            )
            device = devices[rng.integers(0, len(devices), n)] if devices is not None else None
            if cs.surfaces is not None:
                surface = self._surfaces(n, _codes(cs.surfaces))
            else:  # through the organiser's link, or straight to the victim's profile
                surface = self._surfaces(n, _BRIGADE_SURFACES)
                if referrer is not None:
                    surface = np.where(referrer >= 0, self._surfaces(n, _LINKED_SURFACES), surface)
            events = self._events(
                t,
                reporter,
                np.full(n, target),
                reasons,
                text,
                label=CAMPAIGN,
                campaign=number,
                referrer=referrer,
                ip=ip,
                device=device,
                acc=acc,
                surface=surface,
            )
            if self.spec.content_spread:  # the whole profile, not the one post in the news
                events.content = self._older_items(np.full(n, acc.posts[target]))
            out.append(events)
        if cs.camouflage > 0:  # members also file ordinary-looking reports elsewhere
            out.append(
                self._camouflage(
                    world, number, cs, members, first, len(targets), violators, victims
                )
            )
        if cs.joins_waves > 0 and world.waves:
            out.append(self._join_waves(world, number, cs, members))
        return out

    def _camouflage(  # noqa: PLR0917 - the campaign's own state, passed on
        self,
        world: World,
        number: int,
        cs: CampaignSpec,
        members: np.ndarray,
        first: int,
        n_targets: int,
        violators: np.ndarray,
        victims: np.ndarray,
    ) -> Events:
        """Ordinary-looking reports by the members on violators and popular accounts nearby."""
        rng, acc = self.rng, world.accounts
        counts = rng.poisson(cs.camouflage, len(members))
        reporter = np.repeat(members, counts)
        n = len(reporter)
        lo = first - 2 * DAY
        hi = first + int((n_targets * cs.target_gap_days + 2) * DAY)
        t = np.maximum(rng.integers(lo, hi, n), acc.created[reporter] + 3600)
        popular = np.flatnonzero(acc.role == POPULAR)
        elsewhere = np.concatenate([violators, popular, victims[:5000]])
        target = rng.choice(elsewhere, n)
        reasons = rng.choice(len(REASONS), n, p=REASON_WEIGHTS)
        text = world.bank.organic(reasons, rng, empty=0.35)
        return self._events(
            t, reporter, target, reasons, text, label=CAMOUFLAGE, campaign=number, acc=acc
        )

    def _join_waves(
        self, world: World, number: int, cs: CampaignSpec, members: np.ndarray
    ) -> Events:
        """Members are platform users too: some report a viral violator like everyone else,
        during its wave, where it spread. Labelled as the wave's (organic) reports."""
        rng, acc, spec = self.rng, world.accounts, self.spec
        who = members[rng.random(len(members)) < cs.joins_waves]
        waves = [world.waves[i] for i in rng.integers(0, len(world.waves), len(who))]
        t = np.array(
            [w.start + min(int(rng.gamma(2.0, 4 * 3600)), w.end - w.start) for w in waves],
            dtype=np.int64,
        )
        target = np.array([w.target for w in waves], dtype=np.int64)
        reasons = np.where(
            rng.random(len(who)) < 0.7,
            np.array([w.category for w in waves], dtype=np.int64),
            rng.choice(len(REASONS), len(who), p=REASON_WEIGHTS),
        )
        text = world.bank.organic(reasons, rng, empty=0.35)
        spread = np.array([w.surface for w in waves], dtype=np.int8)
        surface = np.where(
            self.side.random(len(who)) < spec.viral_surface_share,
            spread,
            self._surfaces(len(who), self.platform_mix),
        )
        events = self._events(
            t,
            who,
            target,
            reasons,
            text,
            label=VIRAL,
            campaign=number,
            acc=acc,
            surface=surface,
        )
        if spec.content_spread:
            events.content = np.array([w.item for w in waves], dtype=np.int16)
        return events.take(np.flatnonzero(acc.created[who] + 3600 < t))

    # -- heavy reporters that are not brigades --------------------------------------------------

    def _heavy(self, world: World, heavy: HeavyReporter, innocent: np.ndarray) -> Events:
        """Thousands of accurate reports from one account: a trusted flagger's notices in office
        hours, or a platform bot's round-the-clock sweeps over fresh spam accounts."""
        spec, rng, acc = self.spec, self.rng, world.accounts
        hs, n = heavy.spec, heavy.spec.reports
        wanted = [REASONS.index(c) for c in hs.categories]
        violators = np.flatnonzero(acc.role == VIOLATOR)
        trusted = hs.kind == "trusted_flagger"
        if not trusted:  # a classifier's beat: spam and scams, above all the fresh spam accounts
            wanted = wanted or [REASONS.index("spam"), REASONS.index("scam")]
        pool = violators[np.isin(acc.category[violators], wanted)] if wanted else violators
        if not len(pool):
            pool = violators
        accurate = rng.random(n) < hs.accuracy
        target = np.where(accurate, rng.choice(pool, n), rng.choice(innocent, n))
        if not trusted and len(world.spam):  # most of a bot's finds are the new spam accounts
            fresh = accurate & (rng.random(n) < 0.7)
            target[fresh] = rng.choice(world.spam, int(fresh.sum()))
        end = world.t0 + spec.days * DAY
        t = self._office_sessions(world, n) if trusted else rng.integers(world.t0, end, n)
        # Nothing is reported before it exists: a bot finds a new account within hours.
        found = acc.created[target] + _lognormal(rng, 2 * 3600, 1.0, n)
        t = np.maximum(t, found)
        if not trusted:  # sweeps: the bot files what it found at the next ten-minute tick
            t = (t // 600 + 1) * 600 + rng.integers(0, 60, n)
        category = acc.category[target]
        focus = np.array(wanted or range(len(REASONS)), dtype=np.int64)
        reason = np.where((category >= 0) & (rng.random(n) < 0.95), category, rng.choice(focus, n))
        if trusted:
            org = "".join(w[0] for w in acc.handle[heavy.account].split("_")).upper()
            text = world.bank.notices(reason, org, spec.start.year, rng)
        else:
            text = world.bank.bot(n, rng)
        office = _random_ips(rng, 2)
        events = self._events(
            t,
            np.full(n, heavy.account),
            target,
            reason,
            text,
            label=ORGANIC,
            ip=office[rng.integers(0, 2, n)],
            device=np.full(n, heavy.account if trusted else -1),
            surface=(
                self._surfaces(n, {EXTERNAL: 0.75, DIRECT_LINK: 0.25})
                if trusted
                else np.full(n, DIRECT_LINK)
            ),
        )
        events.source[:] = 1 if trusted else 2  # a notice form on the web, or the API
        posts = np.clip(acc.posts[target], 1, 50)
        events.content = np.floor(rng.random(n) * posts).astype(np.int16)  # they report items
        if not trusted:
            events.content[rng.random(n) < 0.3] = -1  # or the whole account
        return events.take(np.flatnonzero((events.t >= world.t0) & (events.t < end)))

    def _office_sessions(self, world: World, n: int) -> np.ndarray:
        """Times of ``n`` notices filed in sessions of a few dozen, weekdays 8:00 to 17:00
        platform-local."""
        rng, spec = self.rng, self.spec
        weekdays = [d for d in range(spec.days) if (spec.start.weekday() + d) % 7 < 5]
        days = np.array(weekdays or list(range(spec.days)), dtype=np.int64)
        sessions = max(1, n // 25)
        session_start = (
            world.t0
            + rng.choice(days, sessions) * DAY
            + (8 - spec.utc_offset_hours) * 3600
            + rng.integers(0, 9 * 3600, sessions)
        )
        which = np.sort(rng.integers(0, sessions, n))
        offset = rng.exponential(100, n).astype(np.int64)
        # Within a session the notices follow each other: cumulative gaps per session.
        cumulative = np.cumsum(offset)
        first = np.searchsorted(which, which, side="left")
        within = cumulative - cumulative[first] + offset[first]
        times: np.ndarray = session_start[which] + within
        return times

    # -- the stream ---------------------------------------------------------------------------

    def days(self, world: World) -> Iterator[Events]:
        """Every report, day by day in time order: organic reports merged with planted ones."""
        spec, rng, acc = self.spec, self.rng, world.accounts
        n_base = spec.accounts
        base = np.arange(n_base)
        activity = rng.lognormal(0, 1.2, n_base)  # some people report far more than others
        activity[acc.role[:n_base] != REGULAR] *= 0.3
        reporters = _Sampler(base, activity)
        violators = np.flatnonzero(acc.role == VIOLATOR)
        innocent = np.flatnonzero((acc.role[:n_base] == REGULAR) | (acc.role[:n_base] == POPULAR))
        to_violator = _Sampler(violators, (acc.followers[violators] + 1.0) ** 0.6)
        to_innocent = _Sampler(innocent, (acc.followers[innocent] + 1.0) ** 0.75)
        throwaways = np.flatnonzero(acc.role == THROWAWAY)
        # People differ in how well they report: the chance that a report of theirs is about a
        # real violation, averaging ``violation_share``. Drawn from its own stream.
        k = 4.0
        share = min(max(spec.violation_share, 0.01), 0.99)
        skill = np.random.default_rng([spec.seed, 7]).beta(share * k, (1 - share) * k, len(acc))
        mistaken = (
            reason_weights(spec.mistaken_severe_share)
            if spec.mistaken_severe_share is not None
            else None
        )
        planted = world.planted
        if planted is not None:
            planted = planted.take(np.argsort(planted.t, kind="stable"))
        for day in range(spec.days):
            day_start = world.t0 + day * DAY
            weekly = 1.0 + 0.12 * np.sin(2 * np.pi * day / 7)
            n = int(rng.poisson(spec.organic_reports_per_day * weekly))
            reporter = reporters.draw(rng, n)
            if len(throwaways):  # fresh-but-innocent accounts report now and then too
                fresh = rng.random(n) < 0.01
                reporter[fresh] = rng.choice(throwaways, int(fresh.sum()))
            about_violation = rng.random(n) < skill[reporter]
            target = np.where(about_violation, to_violator.draw(rng, n), to_innocent.draw(rng, n))
            clash = reporter == target
            reporter[clash] = (reporter[clash] + 1) % n_base
            category = acc.category[target]
            reason = np.where(
                (category >= 0) & (rng.random(n) < 0.75),
                category,
                rng.choice(len(REASONS), n, p=REASON_WEIGHTS),
            )
            if mistaken is not None:  # how grave people's mistakes sound on this platform
                wrong = category < 0
                reason[wrong] = rng.choice(len(REASONS), int(wrong.sum()), p=mistaken)
            text = world.bank.organic(reason, rng, empty=0.35)
            referrer = np.where(rng.random(n) < 0.05, rng.integers(0, 4, n), -1)
            surface = self._surfaces(n, self.platform_mix)
            surface = np.where(referrer >= 0, _REFERRER_SURFACE[referrer.clip(0, None)], surface)
            organic = self._events(
                _times_in_day(rng, day_start, n, self.hourly),
                reporter,
                target,
                reason,
                text,
                label=ORGANIC,
                referrer=referrer,
                acc=acc,
                surface=surface,
            )
            # An account cannot report, nor be reported, before it exists.
            exists = (acc.created[organic.reporter] < organic.t) & (
                acc.created[organic.target] < organic.t
            )
            organic = organic.take(np.flatnonzero(exists))
            parts = [organic]
            if planted is not None:
                lo, hi = np.searchsorted(planted.t, [day_start, day_start + DAY])
                parts.append(planted.take(np.arange(lo, hi)))
            events = Events.concat(parts)
            yield events.take(np.argsort(events.t, kind="stable"))


def simulate(
    spec: PlatformSpec,
    out_dir: Path,
    *,
    fmt: str = "jsonl",
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, object]:
    """Write a synthetic platform (reports, accounts, truth) to ``out_dir``; return its summary."""
    from reportguard.simulate.output import write_world

    simulation = Simulation(spec)
    world = simulation.build()
    return write_world(world, simulation.days(world), out_dir, fmt=fmt, progress=progress)
