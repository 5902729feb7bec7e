"""What a Spark signal learned: the detector (parameters, scalar baselines) and its tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class SparkFitted:
    """A fitted signal on Spark.

    ``detector`` carries the parameters and the scalar baselines under the same names as
    in-process (so its ``sentences`` read the same); ``tables`` holds what stays on the cluster
    (DataFrames such as lockstep's members or the text clusters).
    """

    detector: Any
    tables: dict[str, Any] = field(default_factory=dict)
