"""The surprise functions of :mod:`reportguard.detect.evidence`, vectorised for Spark.

Spark SQL has no binomial or Poisson tail, so the very numpy functions the in-process engine uses
run on Arrow batches (pandas UDFs): one call per batch of thousands of rows, and only on candidate
windows and waves, never on every report. One definition of the statistics, two engines.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

import pandas as pd  # the Spark extra brings it; the UDFs' type hints must resolve here

from reportguard.detect.evidence import (
    CAP,
    binomial_surprise,
    poisson_surprise,
    poisson_tail,
)

if TYPE_CHECKING:
    from pyspark.sql import Column


@cache
def _udfs() -> dict[str, Any]:
    from pyspark.sql.functions import pandas_udf  # type: ignore[attr-defined]

    @pandas_udf("double")  # type: ignore[untyped-decorator]
    def binomial(hits: pd.Series, n: pd.Series, p: pd.Series) -> pd.Series:
        return pd.Series(binomial_surprise(hits.to_numpy(), n.to_numpy(), p.to_numpy()))

    @pandas_udf("double")  # type: ignore[untyped-decorator]
    def poisson(k: pd.Series, expected: pd.Series) -> pd.Series:
        return pd.Series(poisson_surprise(k.to_numpy(), expected.to_numpy()))

    @pandas_udf("double")  # type: ignore[untyped-decorator]
    def tail(k: pd.Series, expected: pd.Series) -> pd.Series:
        return pd.Series(poisson_tail(k.to_numpy(), expected.to_numpy()))

    return {"binomial": binomial, "poisson": poisson, "tail": tail}


def binomial(hits: Column, n: Column, p: Column) -> Column:
    """-log10 P(X >= hits), X ~ Binomial(n, p), capped at CAP (as ``binomial_surprise``)."""
    column: Column = _udfs()["binomial"](hits.cast("double"), n.cast("double"), p.cast("double"))
    return column


def poisson(k: Column, expected: Column) -> Column:
    """-log10 P(X >= k), X ~ Poisson(expected), capped (as ``poisson_surprise``)."""
    column: Column = _udfs()["poisson"](k.cast("double"), expected.cast("double"))
    return column


def tail(k: Column, expected: Column) -> Column:
    """P(X >= k), X ~ Poisson(expected) (as ``poisson_tail``)."""
    column: Column = _udfs()["tail"](k.cast("double"), expected.cast("double"))
    return column


def gated(
    surprise: Column, share: Column, baseline: Column, min_ratio: float, min_share: float
) -> Column:
    """The surprise where the effect is material, else 0 (as ``evidence.gated``)."""
    from pyspark.sql import functions as F

    material = (share >= min_share) & (share >= min_ratio * F.greatest(baseline, F.lit(1e-9)))
    return F.when(material, surprise).otherwise(F.lit(0.0))


def capped(column: Column) -> Column:
    """A surprise clipped to [0, CAP], as fusion adds them."""
    from pyspark.sql import functions as F

    return F.least(F.greatest(F.coalesce(column, F.lit(0.0)), F.lit(0.0)), F.lit(CAP))
