"""Errors a user can act on.

The command line prints these as one line and exits non-zero; anything else is a bug and is
reported as an internal error.
"""


class ReportGuardError(Exception):
    """An error caused by input or configuration, with a message meant for the user."""

    exit_code = 1


class ConfigError(ReportGuardError):
    """Settings or secrets are missing or unusable."""

    exit_code = 2


class InputFileError(ReportGuardError):
    """A whole input file cannot be read (missing, unknown format, unreadable)."""

    exit_code = 2
