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
        """Texts for ``n`` campaign reports: a template with small edits, paraphrases, or none."""
        if style == "empty":
            return np.full(n, -1, dtype=np.int32)
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
