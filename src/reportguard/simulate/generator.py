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
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from reportguard.simulate.spec import CampaignSpec, PlatformSpec
from reportguard.simulate.text import REASON_WEIGHTS, REASONS, TextBank
from reportguard.simulate.world import (
    CAMOUFLAGE,
    CAMPAIGN,
    DISPUTE,
    ORGANIC,
    POPULAR,
    REGULAR,
    SOCKPUPPET,
    THROWAWAY,
    VIOLATOR,
    VIRAL,
    Accounts,
    CampaignTruth,
    Events,
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


def _times_in_day(rng: np.random.Generator, day_start: int, n: int) -> np.ndarray:
    hours = rng.choice(24, size=n, p=HOURLY)
    return day_start + hours * 3600 + rng.integers(0, 3600, n)


def _diurnal_thin(rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
    """Keep each time with a probability that follows the daily rhythm (for organic waves)."""
    hour = (t % DAY) // 3600
    keep: np.ndarray = rng.random(len(t)) < HOURLY[hour] / HOURLY.max()
    return keep


class Simulation:
    """Builds a :class:`World` from a spec and streams its events day by day."""

    def __init__(self, spec: PlatformSpec) -> None:
        self.spec = spec
        self.rng = np.random.default_rng(spec.seed)

    # -- accounts ---------------------------------------------------------------------------

    def build(self) -> World:
        spec, rng = self.spec, self.rng
        t0 = int(spec.start.timestamp())
        n = spec.accounts
        age_days = np.clip(rng.lognormal(np.log(650), 1.0, n), 3, 5500)
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
        for _ in range(spec.throwaway_clusters):  # fresh accounts that are not a campaign
            day = rng.uniform(0, spec.days)
            self._add_fresh(accounts, int(rng.integers(20, 60)), t0 + int(day * DAY), THROWAWAY)

        world = World(
            spec=spec,
            accounts=accounts,
            bank=TextBank(rng),
            referrers=["notification", "search", "profile", "share"],
            device_ids=[],
        )
        self._plant(world)
        world.device_ids = [
            f"{x:016x}" for x in rng.integers(0, 1 << 62, len(world.accounts) + 4096)
        ]
        return world

    def _add_fresh(self, accounts: Accounts, n: int, around: int, role: int) -> np.ndarray:
        """Append ``n`` new accounts created in a cluster shortly before ``around``."""
        rng = self.rng
        start = len(accounts)
        created = (
            around
            - rng.uniform(0.2, 14, n).astype(np.int64) * DAY // 1
            - rng.integers(0, 6 * 3600, n)
        )
        accounts.created = np.concatenate([accounts.created, created.astype(np.int64)])
        accounts.followers = np.concatenate([accounts.followers, rng.integers(0, 6, n)])
        accounts.following = np.concatenate([accounts.following, rng.integers(0, 40, n)])
        accounts.posts = np.concatenate([accounts.posts, rng.integers(0, 4, n)])
        accounts.handle += _handles(rng, n, generic=True)
        accounts.role = np.concatenate([accounts.role, np.full(n, role, dtype=np.int8)])
        accounts.home_ip = np.concatenate([accounts.home_ip, _random_ips(rng, n)])
        accounts.category = np.concatenate([accounts.category, np.full(n, -1, dtype=np.int8)])
        return np.arange(start, start + n)

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
        violators = np.flatnonzero(acc.role == VIOLATOR)

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
    ) -> Events:
        rng = self.rng
        n = len(t)
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
        )

    def _viral(self, world: World, target: int, pool: np.ndarray) -> Events:
        """A violating account goes viral: a wave of organic reports over a day or two."""
        spec, rng, acc = self.spec, self.rng, world.accounts
        lo, hi = spec.viral_reports
        size = int(rng.integers(lo, hi + 1))
        start = world.t0 + int(rng.uniform(1, max(1.5, spec.days - 3)) * DAY)
        # Rise and decay over about a day (gamma), thinned by the daily rhythm: draw extra.
        t = start + (rng.gamma(2.0, 6 * 3600, int(size * 2.2))).astype(np.int64)
        t = np.sort(t[_diurnal_thin(rng, t)][:size])
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
        return self._events(
            t,
            reporters,
            np.full(len(t), target),
            reasons,
            text,
            label=VIRAL,
            referrer=referrer,
            acc=acc,
        )

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
        return self._events(t, reporter, target, reasons, text, label=DISPUTE, acc=world.accounts)

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
        if cs.composition == "sockpuppet":
            members = self._add_fresh(acc, cs.reporters, first, SOCKPUPPET)
        else:
            # A community mobilised by a post: real, older accounts, some of them related.
            members = rng.choice(ordinary, size=cs.reporters, replace=False)
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
            out.append(
                self._events(
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
                )
            )
        if cs.camouflage > 0:  # members also file ordinary-looking reports elsewhere
            counts = rng.poisson(cs.camouflage, len(members))
            reporter = np.repeat(members, counts)
            n = len(reporter)
            lo = first - 2 * DAY
            hi = first + int((len(targets) * cs.target_gap_days + 2) * DAY)
            t = np.maximum(rng.integers(lo, hi, n), acc.created[reporter] + 3600)
            popular = np.flatnonzero(acc.role == POPULAR)
            elsewhere = np.concatenate([violators, popular, victims[:5000]])
            target = rng.choice(elsewhere, n)
            reasons = rng.choice(len(REASONS), n, p=REASON_WEIGHTS)
            text = world.bank.organic(reasons, rng, empty=0.35)
            out.append(
                self._events(
                    t, reporter, target, reasons, text, label=CAMOUFLAGE, campaign=number, acc=acc
                )
            )
        return out

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
            text = world.bank.organic(reason, rng, empty=0.35)
            referrer = np.where(rng.random(n) < 0.05, rng.integers(0, 4, n), -1)
            organic = self._events(
                _times_in_day(rng, day_start, n),
                reporter,
                target,
                reason,
                text,
                label=ORGANIC,
                referrer=referrer,
                acc=acc,
            )
            # An account cannot report before it exists.
            organic = organic.take(np.flatnonzero(acc.created[organic.reporter] < organic.t))
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
