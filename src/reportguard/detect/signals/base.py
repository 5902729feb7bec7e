"""The detector interface, in the scikit-learn and river style.

``__init__`` only stores keyword parameters under their own names (no validation, no work);
``fit`` learns from a :class:`~reportguard.detect.frame.ReportFrame` and returns ``self``; what
it learned lives in attributes ending in ``_``. ``clone()`` gives a fresh, unfitted copy with the
same parameters, and ``repr`` shows the parameters that differ from the defaults.
"""

from __future__ import annotations

import copy
import inspect
from typing import Any, ClassVar, Self

import polars as pl

from reportguard.detect.frame import ReportFrame


class Detector:
    """A detector over reports: learns the platform's baselines in ``fit``, then judges waves.

    Three roles share this interface. The *proposer* (the burst detector) finds the waves worth
    judging (``find_waves``, ``wave_reports``); the *signals* score them (``waves``, ``traits``,
    ``sentences``); a *context* (``context_column``) says what else could explain a wave, so that
    the evidence it explains does not flag the wave on its own. A signal that also finds whole
    rings on its own (lockstep) says so through ``rings``, so the fusion never needs to know
    which class it holds.
    """

    name: ClassVar[str] = "detector"
    #: Columns of ``waves()`` holding -log10 surprises (coordination evidence) for fusion.
    surprise_columns: ClassVar[tuple[str, ...]] = ()
    #: Surprise columns that a wave's *context* can explain, as (column, the context detector's
    #: ``context_column``) pairs. Where that context holds for a wave, those surprises are shown
    #: but do not count toward flagging it (a post that spread explains a shared link, newcomers
    #: and echoed words; it does not explain accounts made in a batch or a group met before).
    explained_by: ClassVar[tuple[tuple[str, str], ...]] = ()
    #: A context detector's boolean wave column (no evidence of its own); None for signals.
    context_column: ClassVar[str | None] = None
    #: The module that runs this detector on Spark (``fit``, ``waves``, ``traits``), found from
    #: the registration alone; None: it cannot run there, and the Spark engine says so by name.
    spark_twin: ClassVar[str | None] = None

    @classmethod
    def _param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return [p.name for p in signature.parameters.values() if p.name != "self"]

    def get_params(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._param_names()}

    def clone(self) -> Self:
        """A new, unfitted detector with deep copies of the same parameters."""
        return type(self)(**copy.deepcopy(self.get_params()))

    def __repr__(self) -> str:
        defaults = {
            name: p.default for name, p in inspect.signature(type(self).__init__).parameters.items()
        }
        changed = [
            f"{name}={value!r}"
            for name, value in self.get_params().items()
            if defaults.get(name) != value
        ]
        return f"{type(self).__name__}({', '.join(changed)})"

    def fit(self, frame: ReportFrame) -> Self:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def fitted(self) -> bool:
        return any(k.endswith("_") and not k.startswith("_") for k in vars(self))

    def waves(self, wave_reports: pl.DataFrame, frame: ReportFrame) -> pl.DataFrame:
        """One row per wave with this signal's measured values, baselines and surprises."""
        raise NotImplementedError  # pragma: no cover - abstract

    def traits(
        self, wave_reports: pl.DataFrame, waves: pl.DataFrame, frame: ReportFrame
    ) -> pl.Series:
        """Per report of ``wave_reports``: does it carry the trait that made its wave fire?

        Used to tell a campaign's members from bystanders who reported the same target at the
        same time on their own. ``waves`` holds this signal's columns for each wave.
        """
        return pl.Series("trait", [False] * len(wave_reports), dtype=pl.Boolean)

    def sentences(self, row: dict[str, Any]) -> list[tuple[str, float, str]]:
        """(signal, surprise, plain sentence) for each finding of this signal in a wave row."""
        raise NotImplementedError  # pragma: no cover - abstract

    def rings(self) -> list[pl.DataFrame]:
        """Groups found on their own, each as its reports; most signals find none."""
        return []

    def ring_sentence(self, members: int, targets: int) -> str:
        """Why one of ``rings()`` is a campaign, in words."""
        raise NotImplementedError  # pragma: no cover - only signals with rings
