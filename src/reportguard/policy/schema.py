"""The enforcement policy file: report reasons, strikes, the ladder, automation, misuse, appeals.

A policy is data a platform edits; everything that decides (triage, enforcement, misuse) reads it
from here, so one file answers "why did this happen".
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from reportguard.errors import ConfigError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Reason(_Strict):
    severity: int = Field(ge=1, le=5)
    points: int = Field(ge=0, le=100)
    clause: str = Field(min_length=1)
    zero_tolerance: bool = False
    automatable: bool = False


class Rung(_Strict):
    min_points: int = Field(ge=1)
    action: Literal["warn", "restrict", "suspend", "ban"]
    feature: str | None = None
    days: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _complete(self) -> Rung:
        if self.action == "restrict" and not self.feature:
            raise ValueError('a restrict rung needs a feature (e.g. feature = "comments")')
        if self.action in ("restrict", "suspend") and self.days is None:
            raise ValueError(f"a {self.action} rung needs days")
        if self.action in ("warn", "ban") and self.days is not None:
            raise ValueError(f"a {self.action} rung takes no days")
        return self


class Strikes(_Strict):
    expiry_days: int = Field(ge=1)


class Automation(_Strict):
    enabled: bool = False
    min_priority: float = Field(4.0, ge=0)
    min_voices: int = Field(3, ge=1)


class Misuse(_Strict):
    window_days: int = Field(90, ge=1)
    warn_after: int = Field(3, ge=1)
    suspend_after: int = Field(6, ge=1)
    min_share: float = Field(0.5, ge=0, le=1)
    suspend_days: int = Field(30, ge=1)

    @model_validator(mode="after")
    def _order(self) -> Misuse:
        if self.suspend_after < self.warn_after:
            raise ValueError("suspend_after must not be below warn_after: warn first")
        return self


class Appeals(_Strict):
    window_days: int = Field(183, ge=1)


class Credibility(_Strict):
    prior_upheld: float = Field(1.0, gt=0)
    prior_rejected: float = Field(3.0, gt=0)
    new_account_days: int = Field(30, ge=0)
    new_prior_upheld: float = Field(0.5, gt=0)
    new_prior_rejected: float = Field(4.5, gt=0)
    unfounded_weight: float = Field(3.0, ge=1)
    half_life_days: float = Field(180.0, gt=0)
    reason_strength: float = Field(4.0, gt=0)

    @model_validator(mode="after")
    def _new_not_above(self) -> Credibility:
        prior = self.prior_upheld / (self.prior_upheld + self.prior_rejected)
        new = self.new_prior_upheld / (self.new_prior_upheld + self.new_prior_rejected)
        if new > prior:
            raise ValueError(
                f"new accounts would start above established ones ({new:.2f} > {prior:.2f}); "
                "an account earns weight only through upheld reports"
            )
        return self


class Triage(_Strict):
    crowd_cap: float = Field(1.0, gt=0)
    crowd_half: float = Field(10.0, gt=0)
    case_prior: float = Field(0.1, gt=0, lt=1)
    voices_gain: float = Field(1.0, ge=0)
    voices_half: float = Field(0.75, gt=0)
    max_voice: float = Field(3.0, gt=0)
    witness: float = Field(0.2, ge=0)
    claim_minutes: int = Field(15, ge=1)


class Notices(_Strict):
    enabled: bool = True
    default_language: str = Field("en", pattern=r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")
    templates_dir: Path | None = None  # relative to the policy file
    acknowledge_reports: bool = True
    safety_tools_max_severity: int = Field(3, ge=1, le=5)


class Disputes(_Strict):
    window_days: float = Field(7.0, gt=0)
    max_severity: int = Field(3, ge=1, le=5)


class Retention(_Strict):
    """How long what reporters sent is kept (``reportguard db prune`` applies it; days since a
    report was filed). Hashed addresses and devices go first, then texts, then the reports
    themselves, except those of open cases. Decisions, actions, appeals and the audit log are the
    record of what was done and are not pruned (docs/operations.md)."""

    identifier_days: int = Field(90, ge=1)
    text_days: int = Field(365, ge=1)
    report_days: int = Field(730, ge=1)
    answer_days: int = Field(7, ge=1)  # stored answers to Idempotency-Key retries

    @model_validator(mode="after")
    def _in_order(self) -> Retention:
        if not self.identifier_days <= self.report_days or not self.text_days <= self.report_days:
            raise ValueError("identifier_days and text_days may not exceed report_days")
        return self


class Policy(_Strict):
    """A whole policy file, checked as a unit."""

    name: str
    version: str
    strikes: Strikes
    reasons: dict[str, Reason] = Field(min_length=1)
    ladder: list[Rung] = Field(min_length=1)
    automation: Automation = Automation()
    misuse: Misuse = Misuse()
    appeals: Appeals = Appeals()
    credibility: Credibility = Credibility()
    triage: Triage = Triage()
    notices: Notices = Notices()
    disputes: Disputes = Disputes()
    retention: Retention = Retention()

    @model_validator(mode="after")
    def _ladder_rises(self) -> Policy:
        points = [rung.min_points for rung in self.ladder]
        if points != sorted(points) or len(set(points)) != len(points):
            raise ValueError(f"ladder min_points must strictly rise, got {points}")
        if "other" not in self.reasons:
            raise ValueError("reasons must include 'other', used for reasons the policy lacks")
        return self

    def reason(self, name: str) -> Reason:
        """The policy of a report reason; reasons the policy lacks fall back to ``other``."""
        return self.reasons.get(name) or self.reasons["other"]

    def rung(self, points: int) -> Rung | None:
        """The highest rung an account's active strike points reach."""
        reached = [rung for rung in self.ladder if rung.min_points <= points]
        return reached[-1] if reached else None


class PolicyError(ConfigError):
    """A policy file that cannot be used; the message lists every problem with its location."""


def load_policy(path: Path | None = None) -> Policy:
    """Read and check a policy file; None means the default policy shipped with the package.

    >>> load_policy().reason("spam").clause
    '2.1 Spam and platform manipulation'
    """
    if path is None:
        text = resources.files("reportguard.policy").joinpath("default.toml").read_text()
        shown = "default policy"
    else:
        try:
            text = path.read_text()
        except OSError as exc:
            raise PolicyError(f"{path}: cannot read the policy file: {exc.strerror}") from exc
        shown = str(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{shown}: not valid TOML: {exc}") from exc
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(f"{shown}: " + "; ".join(_problems(exc))) from exc
    folder = policy.notices.templates_dir
    if folder is not None and path is not None and not folder.is_absolute():
        notices = policy.notices.model_copy(update={"templates_dir": path.parent / folder})
        policy = policy.model_copy(update={"notices": notices})
    return policy


def _problems(exc: ValidationError) -> list[str]:
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "(top level)"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "not a policy setting (misspelt?)"
        problems.append(f"{where}: {message}")
    return problems
