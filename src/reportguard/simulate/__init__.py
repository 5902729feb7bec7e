"""A seeded synthetic platform with planted campaigns and hard negatives, for our own tests.

It writes report *records* in the ingest format to files, with the ground truth beside them. It
never contacts any platform. See :func:`reportguard.simulate.generator.simulate`.
"""

from reportguard.simulate.generator import simulate
from reportguard.simulate.randomize import random_spec
from reportguard.simulate.spec import (
    PRESETS,
    CampaignSpec,
    HeavyReporterSpec,
    PlatformSpec,
    preset,
)

__all__ = [
    "PRESETS",
    "CampaignSpec",
    "HeavyReporterSpec",
    "PlatformSpec",
    "preset",
    "random_spec",
    "simulate",
]
