"""Reporter credibility: a Beta posterior of the chance that a reporter's next report is upheld.

Upheld reports raise it, rejected ones lower it, manifestly unfounded ones lower it more; the
record decays toward the prior with a half-life, so old behaviour counts less than new. Everyone
starts low and uncertain (accounts younger than ``new_account_days`` lower still): weight above
the prior is earned only through upheld reports. A per-reason record refines the overall one (a
reporter who is right about spam is not thereby right about hate speech), shrunk toward it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import polars as pl

from reportguard.policy.schema import Credibility

DAY = 86_400
ALL = ""  # the reason key of a reporter's overall record
VERDICTS = ("upheld", "rejected", "unfounded")
RECORD_SCHEMA = {
    "reporter_id": pl.Utf8,
    "reason": pl.Utf8,
    "upheld": pl.Float64,
    "rejected": pl.Float64,
    "unfounded": pl.Float64,
    "t_updated": pl.Int64,
}


@dataclass(frozen=True)
class Standing:
    """One reporter's credibility for one reason, with the numbers behind it."""

    credibility: float
    prior: float
    upheld: float
    rejected: float
    unfounded: float

    def sentence(self) -> str:
        decided = self.upheld + self.rejected + self.unfounded
        if decided < 0.05:
            return f"no decided reports yet; starts at the prior {self.prior:.2f}"
        text = (
            f"{self.upheld:.1f} of {decided:.1f} decided reports upheld (decayed counts)"
            f", credibility {self.credibility:.2f} against a prior of {self.prior:.2f}"
        )
        if self.unfounded >= 0.05:
            text += f"; {self.unfounded:.1f} manifestly unfounded"
        return text


class CredibilityModel:
    """Scores reporters from their decayed records; the same arithmetic for batch and live use.

    >>> from reportguard.policy import load_policy
    >>> model = CredibilityModel(load_policy().credibility)
    >>> round(model.mean(upheld=0, rejected=0, unfounded=0), 2)
    0.25
    >>> round(model.mean(upheld=8, rejected=0, unfounded=0), 2)
    0.75
    """

    def __init__(self, config: Credibility) -> None:
        self.config = config

    @property
    def prior_mean(self) -> float:
        c = self.config
        return c.prior_upheld / (c.prior_upheld + c.prior_rejected)

    def decay(self, seconds: float | np.ndarray) -> float | np.ndarray:
        """How much of a count from ``seconds`` ago still counts."""
        return 0.5 ** (np.maximum(seconds, 0) / (self.config.half_life_days * DAY))

    def mean(self, *, upheld: float, rejected: float, unfounded: float, new: bool = False) -> float:
        c = self.config
        a0, b0 = (
            (c.new_prior_upheld, c.new_prior_rejected)
            if new
            else (
                c.prior_upheld,
                c.prior_rejected,
            )
        )
        return (a0 + upheld) / (a0 + b0 + upheld + rejected + c.unfounded_weight * unfounded)

    def score(
        self,
        reports: pl.DataFrame,
        records: pl.DataFrame,
        *,
        now: int,
        base_rate: float | None = None,
    ) -> pl.DataFrame:
        """Add ``credibility``, ``prior``, ``record`` and ``calibrated`` to reports.

        ``reports`` has reporter_id, reason and new_account. ``records`` holds decayed counts per
        reporter and reason (``""`` = overall) as of ``t_updated``; they are decayed further to
        ``now``. ``credibility`` starts low (the prior) and is what a reporter is trusted with;
        ``calibrated`` is the same record shrunk toward the platform's ``base_rate`` instead, so
        that a reporter without a record tells nothing either way when evidence is combined.
        """
        rate = self.base_rate(records) if base_rate is None else base_rate
        c = self.config
        hl = c.half_life_days * DAY
        factor = 0.5 ** ((pl.lit(now) - pl.col("t_updated")).clip(lower_bound=0) / hl)
        decayed = records.select(
            "reporter_id",
            "reason",
            *[(pl.col(v) * factor).alias(v) for v in VERDICTS],
        )
        overall = decayed.filter(pl.col("reason") == ALL).drop("reason")
        per_reason = decayed.filter(pl.col("reason") != ALL).rename({v: f"{v}_r" for v in VERDICTS})
        out = (
            reports.join(overall, on="reporter_id", how="left")
            .join(per_reason, on=["reporter_id", "reason"], how="left")
            .with_columns(pl.col([*VERDICTS, *(f"{v}_r" for v in VERDICTS)]).fill_null(0.0))
        )
        new = pl.col("new_account").fill_null(False)
        a0 = pl.when(new).then(c.new_prior_upheld).otherwise(c.prior_upheld)
        b0 = pl.when(new).then(c.new_prior_rejected).otherwise(c.prior_rejected)
        w = c.unfounded_weight
        m_all = (a0 + pl.col("upheld")) / (
            a0 + b0 + pl.col("upheld") + pl.col("rejected") + w * pl.col("unfounded")
        )
        s = c.reason_strength
        m = (pl.col("upheld_r") + s * m_all) / (
            pl.col("upheld_r") + pl.col("rejected_r") + w * pl.col("unfounded_r") + s
        )
        record = pl.col("upheld") + pl.col("rejected") + pl.col("unfounded")
        strength = c.prior_upheld + c.prior_rejected
        c_all = (pl.col("upheld") + strength * rate) / (
            strength + pl.col("upheld") + pl.col("rejected") + w * pl.col("unfounded")
        )
        calibrated = (pl.col("upheld_r") + s * c_all) / (
            pl.col("upheld_r") + pl.col("rejected_r") + w * pl.col("unfounded_r") + s
        )
        return out.with_columns(
            credibility=m, prior=a0 / (a0 + b0), record=record, calibrated=calibrated
        ).drop([f"{v}_r" for v in VERDICTS])

    def base_rate(self, records: pl.DataFrame) -> float:
        """The platform's share of upheld reports; the prior mean until enough are decided."""
        overall = records.filter(pl.col("reason") == ALL)
        return self.rate_from_counts(
            upheld=float(overall["upheld"].sum()),
            decided=float(overall.select(pl.sum_horizontal(VERDICTS)).to_series().sum()),
        )

    def rate_from_counts(self, *, upheld: float, decided: float, minimum: float = 50.0) -> float:
        return upheld / decided if decided >= minimum else self.prior_mean

    def flag_new_accounts(self, reports: pl.DataFrame) -> pl.DataFrame:
        """``new_account``: the reporter's account was younger than ``new_account_days``."""
        young = (pl.col("t") - pl.col("account_created")) < self.config.new_account_days * DAY
        return reports.with_columns(new_account=young)


def records_from_verdicts(
    verdicts: pl.DataFrame, *, now: int, model: CredibilityModel
) -> pl.DataFrame:
    """Decayed records as of ``now`` from verdicts (reporter_id, reason, verdict, t).

    How an evaluation rebuilds credibility from past decisions without a database.
    """
    weight = model.decay(now - verdicts["t"].to_numpy())
    frame = verdicts.with_columns(w=pl.Series(np.asarray(weight, dtype=np.float64)))
    cols = [
        pl.when(pl.col("verdict") == v).then(pl.col("w")).otherwise(0.0).sum().alias(v)
        for v in VERDICTS
    ]
    per_reason = frame.group_by("reporter_id", "reason").agg(cols)
    overall = frame.group_by("reporter_id").agg(cols).with_columns(reason=pl.lit(ALL))
    return pl.concat([per_reason, overall.select(per_reason.columns)]).with_columns(
        t_updated=pl.lit(now, dtype=pl.Int64)
    )


def empty_records() -> pl.DataFrame:
    return pl.DataFrame(schema=RECORD_SCHEMA)


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())
