"""Signals: one detector per file, each cheap and explainable, sharing one small interface.

Every detector listed in :data:`DETECTORS` runs through the generic checks in
``tests/test_detector_checks.py``: adding one here is all it takes to have it checked and fused
into campaigns; to run on Spark too it names its twin module in ``spark_twin``.
"""

from reportguard.detect.signals.arrival import Arrival
from reportguard.detect.signals.base import Detector
from reportguard.detect.signals.burst import BurstDetector
from reportguard.detect.signals.infrastructure import SharedInfrastructure
from reportguard.detect.signals.lockstep import Lockstep
from reportguard.detect.signals.referral import Referral
from reportguard.detect.signals.repeat_group import RepeatGroup
from reportguard.detect.signals.reporter_risk import ReporterRisk
from reportguard.detect.signals.spread import ContentSpread
from reportguard.detect.signals.text import NearDuplicateText

#: The wave signals and contexts, in the order their findings are shown.
SIGNALS: tuple[type[Detector], ...] = (
    ReporterRisk,
    SharedInfrastructure,
    Referral,
    NearDuplicateText,
    Lockstep,
    RepeatGroup,
    Arrival,
    ContentSpread,
)
DETECTORS: tuple[type[Detector], ...] = (BurstDetector, *SIGNALS)

__all__ = [
    "DETECTORS",
    "SIGNALS",
    "Arrival",
    "BurstDetector",
    "ContentSpread",
    "Detector",
    "Lockstep",
    "NearDuplicateText",
    "Referral",
    "RepeatGroup",
    "ReporterRisk",
    "SharedInfrastructure",
]
