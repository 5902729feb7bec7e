"""Errors a user can act on.

The command line prints these as one line and exits non-zero; the API answers them with a 4xx
status chosen from :attr:`ReportGuardError.problem` (``api/errors.py`` holds that mapping, so
no stage below the API knows about HTTP). Anything else is a bug and is reported as an internal
error.
"""

from enum import StrEnum


class Problem(StrEnum):
    """What kind of refusal an error is, for the edges that must say it in their own terms."""

    invalid = "invalid"  # the request asks for something impossible (a bad value)
    not_found = "not_found"  # what it names does not exist
    conflict = "conflict"  # not in the present state (claimed, already decided)
    forbidden = "forbidden"  # not this person's to do


class ReportGuardError(Exception):
    """An error caused by input or configuration, with a message meant for the user."""

    exit_code = 1
    problem = Problem.invalid

    def __init__(self, message: str = "", *, problem: Problem | None = None) -> None:
        super().__init__(message)
        if problem is not None:
            self.problem = problem


class ConfigError(ReportGuardError):
    """Settings or secrets are missing or unusable."""

    exit_code = 2


class InputFileError(ReportGuardError):
    """A whole input file cannot be read (missing, unknown format, unreadable)."""

    exit_code = 2
