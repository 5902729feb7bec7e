"""ReportGuard: defends a platform's reporting system against coordinated mass reporting.

The pipeline reads in flow order (see :mod:`reportguard.pipeline`):
ingest -> store -> detect -> triage -> review -> enforce -> appeal.
ReportGuard never files, drafts, schedules or coordinates reports against anyone.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("reportguard")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
