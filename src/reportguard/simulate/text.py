"""Report texts that vary the way people write: many phrasings, typos, empty, several languages.

Texts are kept in one bank and referred to by index, so the generator's event arrays stay numeric.
"""

from __future__ import annotations

import numpy as np

REASONS = (
    "spam",
    "harassment",
    "hate_speech",
    "scam",
    "impersonation",
    "nudity",
    "violence",
    "misinformation",
)
# How often each reason is chosen when a report is not about a known violation.
REASON_WEIGHTS = np.array([0.24, 0.22, 0.12, 0.12, 0.08, 0.08, 0.06, 0.08])
# Reasons a platform treats as severe (fast lanes, harsher penalties).
SEVERE = ("hate_speech", "nudity", "violence")


def reason_weights(severe_share: float | None) -> np.ndarray:
    """The usual reason mix, or the same mix reweighted so severe reasons make ``severe_share``.

    >>> w = reason_weights(0.5)
    >>> round(float(w[[REASONS.index(r) for r in SEVERE]].sum()), 6)
    0.5
    """
    if severe_share is None:
        return REASON_WEIGHTS
    severe = np.isin(np.array(REASONS), SEVERE)
    out = np.where(
        severe,
        REASON_WEIGHTS / REASON_WEIGHTS[severe].sum() * severe_share,
        REASON_WEIGHTS / REASON_WEIGHTS[~severe].sum() * (1 - severe_share),
    )
    weights: np.ndarray = out / out.sum()
    return weights


_CORE = {
    "spam": [
        "posting the same link everywhere",
        "spamming my comments with ads",
        "sells followers in every thread",
        "bot posting crypto links",
        "floods the tag",
    ],
    "harassment": [
        "keeps insulting me",
        "sends me abusive messages",
        "won't stop following me around",
        "threatened me in DMs",
        "mocks me in every post",
        "bullying my friend",
    ],
    "hate_speech": [
        "posts slurs about my community",
        "hateful comments about religion",
        "calls for violence against a group",
        "racist memes again",
    ],
    "scam": [
        "asked me for money and vanished",
        "fake giveaway, took my card details",
        "pretends to sell tickets",
        "phishing link in DM",
        "investment scam",
    ],
    "impersonation": [
        "pretends to be me",
        "fake account of a celebrity",
        "uses my photos",
        "copying my brand name",
        "impersonating my company",
    ],
    "nudity": [
        "explicit pictures on the profile",
        "sexual content without warning",
        "nsfw in a kids group",
    ],
    "violence": [
        "video of a fight",
        "glorifies an attack",
        "graphic injury pictures",
        "threatens to hurt people",
    ],
    "misinformation": [
        "fake health claims",
        "made up election news",
        "doctored video",
        "spreading a hoax",
    ],
}
_OPENERS = [
    "",
    "",
    "",
    "this account ",
    "this user ",
    "he ",
    "she ",
    "they ",
    "pls check, ",
    "report: ",
    "hi, ",
    "again, ",
]
_CLOSERS = [
    "",
    "",
    "",
    ".",
    "!",
    "!!",
    " please help",
    " pls remove",
    " thanks",
    " :(",
    " this has to stop",
    " for weeks now",
    " see the last post",
]
_OTHER_LANGUAGES = [
    "me insulta todo el tiempo",
    "cuenta falsa",
    "estafa, pidió dinero",
    "spam sin parar",
    "beleidigt mich ständig",
    "fake konto",
    "betrug!",
    "il m'insulte sans arrêt",
    "faux compte",
    "arnaque",
    "me xinga sempre",
    "conta falsa",
    "golpe, pediu dinheiro",
]
# What a brigade's organiser tells members to write, as base claims per reason.
_CAMPAIGN_CLAIMS = [
    "this account spreads hate and must be banned",
    "this person is a scammer stealing money from followers",
    "fake account impersonating a real person, remove it",
    "posts violent threats against our community",
    "sharing explicit content with minors, ban now",
    "dangerous misinformation, report and ban",
]
_PARAPHRASE_PARTS = (
    ["this account", "this user", "this person", "the owner of this profile", "they"],
    ["spreads", "keeps posting", "is sharing", "pushes", "is full of"],
    ["hate", "lies", "dangerous content", "harmful stuff", "abuse"],
    [
        "and must be banned",
        "ban them",
        "remove this account",
        "please take it down",
        "it has to go",
        "report it",
    ],
)


# People who arrive from another site repeat the words of the post that sent them.
_ECHOES = {
    "spam": ["the spam bot everyone on {site} is talking about", "this is the link spammer"],
    "harassment": ["the guy harassing that streamer, see {site}", "he is the one bullying her"],
    "hate_speech": ["the hateful post from {site}", "racist post going around, remove it"],
    "scam": [
        "scammer from the {site} thread, took people's money",
        "the fake shop everyone lost money to",
    ],
    "impersonation": [
        "fake account pretending to be the author, see {site}",
        "impersonator, not the real one",
    ],
    "nudity": ["the explicit pics shared on {site}", "porn on a public profile"],
    "violence": ["the fight video from {site}", "violent video going viral"],
    "misinformation": ["the fake news screenshot from {site}", "debunked hoax, see {site}"],
}
_SITES = ["reddit", "the forum", "twitter", "tiktok", "the news", "discord", "the group chat"]
# An organiser's instruction rewritten by each member (or a language model) in their own words.
_REWRITE_PARTS = (
    ["", "", "hello, ", "dear moderators, ", "hi team, ", "urgent: ", "please look: ", "ok so "],
    [
        "this account",
        "the person behind this profile",
        "this creator",
        "whoever runs this page",
        "this so called influencer",
        "this user",
        "the owner",
        "this channel",
        "she",
        "he",
    ],
    [
        "has been spreading",
        "keeps pushing",
        "constantly posts",
        "is known for",
        "openly shares",
        "profits from",
        "encourages",
        "hides behind",
        "is responsible for",
        "will not stop posting",
    ],
    [
        "hateful propaganda",
        "lies about our community",
        "dangerous misinformation",
        "content that harms kids",
        "threats against people",
        "scams targeting fans",
        "harassment of anyone who disagrees",
        "stolen content",
        "disgusting material",
        "fake claims",
        "abusive rants",
        "extremist views",
    ],
    [
        "",
        " for months",
        " every single day",
        " to thousands of followers",
        " again and again",
        " while you do nothing",
        " and it is getting worse",
    ],
    [
        ". please ban",
        ". this violates your rules",
        ", it needs to be removed",
        ". I am shocked this is allowed",
        ". take action now",
        ". remove this account",
        ". do your job",
        ". this is unacceptable",
        "",
        ". many of us have reported it",
    ],
)
_NOTICE_LAW = {
    "spam": "the platform's spam rules",
    "harassment": "criminal harassment law",
    "hate_speech": "incitement to hatred provisions",
    "scam": "consumer protection law (fraud)",
    "impersonation": "identity misuse provisions",
    "nudity": "child sexual abuse material law",
    "violence": "terrorist content provisions",
    "misinformation": "the platform's health misinformation policy",
}
_BOT_RULES = ["url-reputation", "spam-classifier", "phishing-kit", "mass-follow", "scam-text"]


def typo(text: str, rng: np.random.Generator) -> str:
    """One small human edit: a swapped, dropped or doubled letter, or a case change."""
    if len(text) < 4:
        return text
    i = int(rng.integers(1, len(text) - 2))
    kind = int(rng.integers(0, 4))
    if kind == 0:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if kind == 1:
        return text[:i] + text[i + 1 :]
    if kind == 2:
        return text[:i] + text[i] + text[i:]
    return text.capitalize() if text[0].islower() else text.lower()


class TextBank:
    """All texts of one simulation; events refer to them by index (-1 = no text)."""

    def __init__(self, rng: np.random.Generator, variants_per_reason: int = 400) -> None:
        self.texts: list[str] = []
        self._by_reason: list[np.ndarray] = []
        for reason in REASONS:
            start = len(self.texts)
            for _ in range(variants_per_reason):
                self.texts.append(self._organic(reason, rng))
            self._by_reason.append(np.arange(start, len(self.texts), dtype=np.int32))

    def _organic(self, reason: str, rng: np.random.Generator) -> str:
        if rng.random() < 0.08:
            core = _OTHER_LANGUAGES[int(rng.integers(len(_OTHER_LANGUAGES)))]
        else:
            options = _CORE[reason]
            core = options[int(rng.integers(len(options)))]
        text = (
            _OPENERS[int(rng.integers(len(_OPENERS)))]
            + core
            + _CLOSERS[int(rng.integers(len(_CLOSERS)))]
        )
        for _ in range(int(rng.poisson(0.4))):
            text = typo(text, rng)
        return text

    def organic(self, reasons: np.ndarray, rng: np.random.Generator, empty: float) -> np.ndarray:
        """A text index per report, drawn from its reason's variants; a share left empty."""
        out = np.full(len(reasons), -1, dtype=np.int32)
        for code in np.unique(reasons):
            where = np.flatnonzero(reasons == code)
            pool = self._by_reason[int(code)]
            out[where] = pool[rng.integers(0, len(pool), size=len(where))]
        out[rng.random(len(reasons)) < empty] = -1
        return out

    def add(self, text: str) -> int:
        self.texts.append(text)
        return len(self.texts) - 1

    def campaign(self, style: str, n: int, rng: np.random.Generator, claim: int) -> np.ndarray:
        """Texts for ``n`` campaign reports: a template with small edits, a few paraphrases,
        every one rewritten, or none."""
        if style == "empty":
            return np.full(n, -1, dtype=np.int32)
        if style == "rewrite":
            return self.rewrite(n, rng)
        if style == "template":
            base = _CAMPAIGN_CLAIMS[claim % len(_CAMPAIGN_CLAIMS)]
            variants = [base] + [self._edit(base, rng) for _ in range(max(1, n // 3))]
        else:
            variants = [self._paraphrase(rng) for _ in range(8)]
            variants += [self._edit(v, rng) for v in variants for _ in range(3)]
        ids = np.array([self.add(v) for v in variants], dtype=np.int32)
        return ids[rng.integers(0, len(ids), size=n)]

    def _edit(self, text: str, rng: np.random.Generator) -> str:
        edits = int(rng.integers(0, 3))
        for _ in range(edits):
            text = typo(text, rng)
        if rng.random() < 0.3:
            text += ["!", "!!", " !!!", ".", " pls", " #ban"][int(rng.integers(6))]
        return text

    def _paraphrase(self, rng: np.random.Generator) -> str:
        return " ".join(part[int(rng.integers(len(part)))] for part in _PARAPHRASE_PARTS)

    def rewrite(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` texts, each written anew: one claim, rephrased by every member."""
        out = np.empty(n, dtype=np.int32)
        for i in range(n):
            text = "".join(part[int(rng.integers(len(part)))] for part in _REWRITE_PARTS)
            for _ in range(int(rng.poisson(0.5))):
                text = typo(text, rng)
            out[i] = self.add(text)
        return out

    def echo(self, reason: int, n: int, rng: np.random.Generator) -> np.ndarray:
        """Texts of people sent by one outside post: its words, repeated with small edits."""
        site = _SITES[int(rng.integers(len(_SITES)))]
        bases = [b.format(site=site) for b in _ECHOES[REASONS[reason]]]
        variants = []
        for _ in range(max(2, n // 4)):
            base = bases[int(rng.integers(len(bases)))]
            opener = _OPENERS[int(rng.integers(len(_OPENERS)))]
            variants.append(self._edit(opener + base, rng))
        ids = np.array([self.add(v) for v in variants], dtype=np.int32)
        return ids[rng.integers(0, len(ids), size=n)]

    def notices(
        self, reasons: np.ndarray, org: str, year: int, rng: np.random.Generator
    ) -> np.ndarray:
        """A trusted flagger's notices: one template, a reference number each."""
        first = int(rng.integers(100, 5000))
        out = np.empty(len(reasons), dtype=np.int32)
        for i, code in enumerate(reasons):
            reason = REASONS[int(code)]
            out[i] = self.add(
                f"Notice {org}-{year}-{first + i:05d}: the reported item appears to breach "
                f"{_NOTICE_LAW[reason]} ({reason.replace('_', ' ')}). Assessed by our analysts; "
                "please review and act."
            )
        return out

    def bot(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """A classifier's report texts: the rule and a score, or nothing."""
        rules = [
            self.add(f"auto: {r} match, score 0.{s}") for r in _BOT_RULES for s in range(90, 100)
        ]
        ids = np.array(rules, dtype=np.int32)
        out = ids[rng.integers(0, len(ids), size=n)]
        out[rng.random(n) < 0.4] = -1
        return out
