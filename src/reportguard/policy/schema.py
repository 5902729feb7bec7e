"""The enforcement policy file: report reasons, strikes, the ladder, automation, misuse, appeals.

A policy is data a platform edits; everything that decides (triage, enforcement, misuse) reads it
from here, so one file answers "why did this happen".
"""

from __future__ import annotations

import re
import string
import tomllib
from importlib import resources
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from reportguard.errors import ConfigError
from reportguard.policy.dsa import (
    CONTENT_TYPES,
    DECISION_GROUNDS,
    EUROPEAN_COUNTRY_CODES,
    STATEMENT_CATEGORIES,
)


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
    raid_pad_minutes: int = Field(60, ge=0)
    burst_minutes: int = Field(360, ge=0)


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


OUTCOME_NAMES = ("upheld", "rejected", "unfounded", "")


class FormatMapping(_Strict):
    """How one platform format's reason words become this policy's reasons, and what its
    resolutions mean as outcomes (``""``: import no outcome)."""

    default: str = "other"  # for a word the table does not name
    reasons: dict[str, str] = {}
    rules: dict[str, str] = {}  # a server's rule ids (Mastodon) -> reasons
    outcomes: dict[str, str] = {}

    def reason_for(self, word: str | None) -> str:
        """The policy reason of a platform's word; the default for one the table lacks."""
        if word is None:
            return self.default
        return self.reasons.get(word, self.default)


class Links(_Strict):
    """URL templates for links out to the platform (never fetched): ``{account_id}``,
    ``{handle}`` in ``account``; ``{content_id}``, ``{account_id}`` in ``content``."""

    account: str | None = None
    content: str | None = None

    @model_validator(mode="after")
    def _templates(self) -> Links:
        allowed = {"account": {"account_id", "handle"}, "content": {"content_id", "account_id"}}
        for name, names in allowed.items():
            template = getattr(self, name)
            if template is None:
                continue
            if not re.match(r"^https?://[^/{}]+", template):
                raise ValueError(f"{name}: a link template must start with http:// or https://")
            try:
                used = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
            except ValueError as exc:
                raise ValueError(f"{name}: not a template ({exc})") from None
            if used - names or not used:
                raise ValueError(
                    f"{name}: use {' and '.join('{' + n + '}' for n in sorted(names))} "
                    f"(found {', '.join(sorted(used)) or 'none'})"
                )
        return self

    def account_url(self, account_id: str, handle: str | None) -> str | None:
        """The account's page on the platform, or None without a template (or a handle the
        template needs)."""
        if self.account is None or ("{handle}" in self.account and not handle):
            return None
        return self.account.format(
            account_id=quote(account_id, safe=""), handle=quote((handle or "").lstrip("@"))
        )

    def content_url(self, content_id: str, account_id: str | None) -> str | None:
        """The item's page on the platform, or None without a template."""
        if self.content is None or ("{account_id}" in self.content and not account_id):
            return None
        return self.content.format(
            content_id=quote(content_id, safe=""), account_id=quote(account_id or "", safe="")
        )


class Dsa(_Strict):
    """Statements of reasons for the DSA Transparency Database: which of its categories each
    reason is, and the facts every statement shares."""

    categories: dict[str, str] = {}  # policy reason -> STATEMENT_CATEGORY_*
    default_category: str = "STATEMENT_CATEGORY_OTHER_VIOLATION_TC"
    decision_ground: str = "DECISION_GROUND_INCOMPATIBLE_CONTENT"
    terms_url: str | None = None  # decision_ground_reference_url: the terms relied upon
    territorial_scope: list[str] = list(EUROPEAN_COUNTRY_CODES)
    content_type: str = "CONTENT_TYPE_OTHER"  # when the reported item's kind says nothing
    content_type_other: str = "Account"

    @model_validator(mode="after")
    def _known(self) -> Dsa:
        for reason, category in {**self.categories, "(default)": self.default_category}.items():
            if category not in STATEMENT_CATEGORIES:
                raise ValueError(f"categories.{reason}: {category!r} is not a DSA category")
        if self.decision_ground not in DECISION_GROUNDS:
            raise ValueError(f"decision_ground: use one of {', '.join(DECISION_GROUNDS)}")
        if self.content_type not in CONTENT_TYPES:
            raise ValueError(f"content_type: use one of {', '.join(CONTENT_TYPES)}")
        unknown = [c for c in self.territorial_scope if c not in EUROPEAN_COUNTRY_CODES]
        if unknown:
            raise ValueError(f"territorial_scope: not EU/EEA country codes: {', '.join(unknown)}")
        if self.terms_url is not None and not re.match(r"^https?://", self.terms_url):
            raise ValueError("terms_url: must start with http:// or https://")
        return self

    def category(self, reason: str) -> str:
        return self.categories.get(reason, self.default_category)


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

    formats: dict[str, FormatMapping] = {}
    links: Links = Links()
    dsa: Dsa = Dsa()

    @model_validator(mode="after")
    def _mappings_name_reasons(self) -> Policy:
        """Every reason a format maps to, and every reason given a DSA category, is a reason of
        this policy; every outcome is one ReportGuard knows."""
        for name, mapping in self.formats.items():
            tables = {"reasons": mapping.reasons, "rules": mapping.rules}
            for table, entries in tables.items():
                for word, reason in entries.items():
                    if reason not in self.reasons:
                        raise ValueError(
                            f"formats.{name}.{table}.{word}: {reason!r} is not a reason of "
                            "this policy"
                        )
            if mapping.default not in self.reasons:
                raise ValueError(f"formats.{name}.default: {mapping.default!r} is not a reason")
            for word, outcome in mapping.outcomes.items():
                if outcome not in OUTCOME_NAMES:
                    raise ValueError(
                        f'formats.{name}.outcomes.{word}: use upheld, rejected, unfounded or ""'
                    )
        for reason in self.dsa.categories:
            if reason not in self.reasons:
                raise ValueError(f"dsa.categories.{reason}: not a reason of this policy")
        return self

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
