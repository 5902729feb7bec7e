"""Signals: one detector per file, each cheap and explainable, sharing one small interface.

Every detector listed in :data:`DETECTORS` runs through the generic checks in
``tests/test_detector_checks.py``: adding one here is all it takes to have it checked.
"""

from reportguard.detectors.base import Detector
from reportguard.detectors.burst import BurstDetector
from reportguard.detectors.infrastructure import SharedInfrastructure
from reportguard.detectors.lockstep import Lockstep
from reportguard.detectors.referral import Referral
from reportguard.detectors.reporter_risk import ReporterRisk
from reportguard.detectors.text import NearDuplicateText

#: The wave signals, in the order their evidence is shown.
SIGNALS: tuple[type[Detector], ...] = (
    ReporterRisk,
    SharedInfrastructure,
    Referral,
    NearDuplicateText,
    Lockstep,
)
DETECTORS: tuple[type[Detector], ...] = (BurstDetector, *SIGNALS)

__all__ = [
    "DETECTORS",
    "SIGNALS",
    "BurstDetector",
    "Detector",
    "Lockstep",
    "NearDuplicateText",
    "Referral",
    "ReporterRisk",
    "SharedInfrastructure",
]
