"""Near-duplicate text: MinHash LSH clusters of report texts that are the same but for small edits.

A ring handed one text writes it with small edits; people writing on their own do not. The
baseline is the platform's own rate of near-duplicate pairs among report texts, sampled from the
data, so that short stock phrases ("fake account", "spam") that everyone writes do not count as
coordination.
"""

from __future__ import annotations

import re
from typing import Any, Self

import numpy as np
import polars as pl
from datasketch import MinHash, MinHashLSH

from reportguard.detect.evidence import CAP, poisson_tail
from reportguard.detect.frame import ReportFrame
from reportguard.detect.signals.base import Detector

_WORD = re.compile(r"\w+")


def _shingles(norm: str, k: int) -> set[bytes]:
    if len(norm) < k:
        return {norm.encode()}
    return {norm[i : i + k].encode() for i in range(len(norm) - k + 1)}


def _in_order(wave: pl.DataFrame) -> pl.DataFrame:
    """A wave's reports in time order: clustering is order-dependent, so every engine sorts."""
    return wave.sort("t", "report_id")


class NearDuplicateText(Detector):
    """Clusters of near-identical texts inside a wave, against the platform's own rate.

    >>> NearDuplicateText(threshold=0.8).get_params()["threshold"]
    0.8
    """

    name = "near_duplicate_text"
    surprise_columns = ("text_surprise",)
    explained_by = (("text_surprise", "spread"),)  # people echo the words of the post they saw
    spark_twin = "reportguard.spark.text"

    def __init__(
        self,
        *,
        threshold: float = 0.6,
        num_perm: int = 64,
        shingle: int = 4,
        min_length: int = 12,
        sample: int = 3000,
        seed: int = 1,
        min_ratio: float = 5.0,
        min_share: float = 0.3,
        member_p: float = 0.01,
    ) -> None:
        self.threshold = threshold
        self.num_perm = num_perm
        self.shingle = shingle
        self.min_length = min_length
        self.sample = sample
        self.seed = seed
        self.min_ratio = min_ratio
        self.min_share = min_share
        self.member_p = member_p

    def _prepare(self) -> None:
        """Permutations and LSH bands, computed once per detector (not per text).

        The band layout (how many bands of how many hash values) is datasketch's
        ``MinHashLSH`` choice for the threshold; the bands themselves are kept in plain
        dictionaries because a wave only ever asks "which earlier text shares a band with this
        one", which needs neither the index's key store nor its candidate sets.
        """
        if getattr(self, "_permutations", None) is not None:
            return
        probe = MinHash(num_perm=self.num_perm, seed=self.seed)
        self._permutations = probe.permutations
        self._scheme = probe.scheme
        lsh = MinHashLSH(threshold=self.threshold, num_perm=self.num_perm)
        self._ranges = list(lsh.hashranges)
        self._bands_of: dict[str, tuple[bytes, ...]] = {}

    def _bands(self, norm: str) -> tuple[bytes, ...]:
        """A text's LSH band keys (its MinHash cut into bands), cached by normalised text."""
        cached = self._bands_of.get(norm)
        if cached is None:
            m = MinHash(
                num_perm=self.num_perm,
                seed=self.seed,
                permutations=self._permutations,
                scheme=self._scheme,
            )
            m.update_batch(list(_shingles(norm, self.shingle)))
            values = m.hashvalues
            cached = tuple(values[start:end].tobytes() for start, end in self._ranges)
            if len(self._bands_of) > 200_000:
                self._bands_of.clear()
            self._bands_of[norm] = cached
        return cached

    def clusters(self, texts: list[str]) -> list[int]:
        """A cluster number per text; texts under ``min_length`` each stand alone.

        Texts are taken in order; a text joins the cluster of the earliest text before it that
        shares an LSH band with it (the candidates ``MinHashLSH.query`` would return), else
        starts its own. Identical texts (after lower-casing and dropping punctuation) share
        their bands, so a wave of 4,000 reports costs as many hashes as it has distinct texts.
        """
        self._prepare()
        tables: list[dict[bytes, int]] = [{} for _ in self._ranges]
        label_of: dict[str, int] = {}
        cluster_of: list[int] = []  # by order of first appearance of a distinct text
        labels = []
        for i, text in enumerate(texts):
            norm = " ".join(_WORD.findall(text.lower()))
            if len(text) < self.min_length or not norm:
                labels.append(-1 - i)  # stands alone
                continue
            label = label_of.get(norm)
            if label is None:
                order = len(cluster_of)
                keys = self._bands(norm)
                # Each band remembers the first text that landed in it.
                earliest = min(
                    table.setdefault(key, order) for table, key in zip(tables, keys, strict=True)
                )
                label = cluster_of[earliest] if earliest < order else order
                cluster_of.append(label)
                label_of[norm] = label
            labels.append(label)
        return labels

    def _pair_rate(self, texts: list[str]) -> float:
        labels = np.array(self.clusters(texts))
        if len(labels) < 2:
            return 0.0
        _, sizes = np.unique(labels, return_counts=True)
        pairs = float((sizes * (sizes - 1)).sum() / 2)
        return pairs / (len(labels) * (len(labels) - 1) / 2)

    def fit(self, frame: ReportFrame) -> Self:
        texts = frame.reports["text"].drop_nulls()
        if len(texts) > self.sample:
            texts = texts.sample(self.sample, seed=self.seed)
        self.pair_rate_ = self._pair_rate(texts.to_list())
        return self

    def waves(self, wave_reports: pl.DataFrame, frame: ReportFrame) -> pl.DataFrame:
        rows = []
        for (wave,), group in wave_reports.group_by(["wave"], maintain_order=True):
            texts = _in_order(group)["text"].drop_nulls().to_list()
            labels = np.array(self.clusters(texts)) if texts else np.array([], dtype=np.int64)
            largest = int(np.unique(labels, return_counts=True)[1].max()) if len(labels) else 0
            m = len(texts)
            pairs: float = 0.0
            if m:
                _, sizes = np.unique(labels, return_counts=True)
                pairs = float((sizes * (sizes - 1)).sum() / 2)
            rows.append((wave, len(group), m, largest, pairs))
        out = pl.DataFrame(
            rows, schema=["wave", "reports", "texts", "largest_cluster", "dup_pairs"], orient="row"
        )
        if out.is_empty():
            return out
        counts = out["texts"].to_numpy().astype(np.float64)
        expected = np.maximum(self.pair_rate_ * counts * (counts - 1) / 2, 1e-6)
        observed = out["dup_pairs"].to_numpy()
        share = out["largest_cluster"].to_numpy() / np.maximum(out["reports"].to_numpy(), 1)
        # Poisson tail on the number of near-duplicate pairs, via the Chernoff bound (pairs are
        # not independent, so a bound rather than an exact p).
        ratio = observed / expected
        with np.errstate(divide="ignore", invalid="ignore"):
            bound = np.where(ratio > 1, expected * (ratio * np.log(ratio) - ratio + 1), 0.0)
        surprise = np.clip(bound / np.log(10), 0, CAP)
        material = (share >= self.min_share) & (ratio >= self.min_ratio)
        surprise = np.where(material, surprise, 0.0)
        return out.with_columns(
            pl.Series("text_share", share),
            pl.Series("text_expected_pairs", expected),
            pl.Series("text_surprise", surprise),
        )

    def traits(
        self, wave_reports: pl.DataFrame, waves: pl.DataFrame, frame: ReportFrame
    ) -> pl.Series:
        fired = set(waves.filter(pl.col("text_surprise") > 0)["wave"].to_list())
        out = np.zeros(len(wave_reports), dtype=bool)
        indexed = wave_reports.select("wave", "text", "t", "report_id").with_row_index("row")
        for (wave,), group in indexed.group_by(["wave"], maintain_order=True):
            if wave not in fired:
                continue
            with_text = _in_order(group).drop_nulls("text")
            labels = np.array(self.clusters(with_text["text"].to_list()))
            if not len(labels):
                continue
            _, inverse, sizes = np.unique(labels, return_inverse=True, return_counts=True)
            duplicated = self.shared_wording(sizes[inverse], len(labels))
            out[with_text["row"].to_numpy()[duplicated]] = True
        return pl.Series("trait", out)

    def shared_wording(self, sizes: np.ndarray, texts: int) -> np.ndarray:
        """Whether a text's cluster (of ``sizes``) is larger than chance makes among ``texts``.

        Two strangers who both wrote "scam" share a cluster by chance; a text's cluster holds
        about ``pair_rate_ * (texts - 1)`` others on its own, and only a cluster far beyond that
        (Poisson tail below ``member_p``) marks the shared wording of a group.
        """
        chance = self.pair_rate_ * max(texts - 1, 0)
        tail = poisson_tail(sizes - 1, np.full(len(sizes), chance))
        marked: np.ndarray = (sizes >= 2) & (tail < self.member_p)
        return marked

    def sentences(self, row: dict[str, Any]) -> list[tuple[str, float, str]]:
        surprise = float(row["text_surprise"])
        if surprise <= 0:
            return []
        return [
            (
                "near_duplicate_text",
                surprise,
                f"{row['largest_cluster']} of {row['reports']} reports carry near-identical text "
                f"({int(float(row['dup_pairs']))} near-duplicate pairs; about "
                f"{float(row['text_expected_pairs']):.1f} expected from how people write here)",
            )
        ]
