"""The input contract (DESIGN.md): report events and account snapshots, validated with pydantic.

Exports come from many systems, so the models are lenient where meaning is unambiguous (numbers
as ids, empty CSV cells as missing, naive timestamps as UTC, epoch seconds) and strict where a
guess could corrupt detection (unparseable times, negative counts, malformed IP addresses).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from reportguard.config import TimeBounds
from reportguard.ingest.hashing import normalise_ip

MAX_TEXT = 20_000


def _as_utc(value: datetime, info: ValidationInfo) -> datetime:
    offset = value.utcoffset()
    if offset is None:
        value = value.replace(tzinfo=UTC)
    elif offset:
        value = value.astimezone(UTC)
    bounds = info.context or TimeBounds().context()
    if value < bounds["earliest"]:
        raise ValueError(f"implausible timestamp (before {bounds['earliest']:%Y-%m-%d})")
    if value > bounds["latest"]:
        raise ValueError(
            f"in the future (after {bounds['latest']:%Y-%m-%dT%H:%M}Z, beyond the clock skew)"
        )
    return value


def _normalise_reason(value: str) -> str:
    return "_".join(value.lower().split())


# Where in the app a report was filed. A platform's own words are mapped to these before ingest
# (``--map`` renames fields, not values); case, spaces and hyphens are forgiven.
SURFACES = ("feed", "profile", "search", "comments", "direct_link", "external")


def _surface(value: str) -> str:
    name = "_".join(value.lower().replace("-", " ").split())
    if name not in SURFACES:
        raise ValueError(f"not a surface (use one of {', '.join(SURFACES)})")
    return name


# What the platform decided about a report before ReportGuard (its own history): ``upheld`` (the
# report was right), ``rejected`` (nothing wrong) or ``unfounded`` (manifestly so, a misuse).
OUTCOMES = ("upheld", "rejected", "unfounded")


def _outcome(value: str) -> str:
    name = value.strip().lower()
    if name not in OUTCOMES:
        raise ValueError(f"not an outcome (use one of {', '.join(OUTCOMES)})")
    return name


# Who filed a report: a person (the default, left empty) or a remote server filing for its users
# (an ActivityPub Flag): one reporter per server, which detection and triage must not read as a
# person (docs/integrate.md).
REPORTER_KINDS = ("person", "server")


def _reporter_kind(value: str) -> str | None:
    name = value.strip().lower()
    if name not in REPORTER_KINDS:
        raise ValueError(f"not a reporter kind (use one of {', '.join(REPORTER_KINDS)})")
    return None if name == "person" else name


def _web_url(value: str) -> str:
    """A link a moderator may follow: http or https only (a javascript: or data: URL in an
    export must never become a link on the case page)."""
    text = value.strip()
    scheme = text.split(":", 1)[0].lower() if ":" in text else ""
    if scheme not in ("http", "https") or len(text) < len(scheme) + 4:
        raise ValueError("not an http(s) URL")
    return text


def _no_float_id(value: Any) -> Any:
    """Whole numbers are fine as ids (exports write them so, and an integer column with gaps
    arrives as floats such as 3.0). Any other float is a column read wrongly (8.5, or 1e+21 for
    a long id that lost its digits): turning it into text would store a different id."""
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        raise ValueError("a number with a fraction or an exponent is not an id; write it as text")
    return value


def _text_only(value: Any) -> Any:
    """A number where words are expected (a reason, a text, a handle) is a column read wrongly:
    the contract says text, and turning 8.5 into "8.5" would store what nobody wrote."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError("a number where text is expected; write it as text")
    return value


Id = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    BeforeValidator(_no_float_id),
]
OptionalId = Id | None
Timestamp = Annotated[datetime, AfterValidator(_as_utc)]
OptionalTimestamp = Timestamp | None
Count = Annotated[int, Field(ge=0, le=2**63 - 1)] | None  # fits a database BIGINT
ReportText = Annotated[str, Field(max_length=MAX_TEXT)] | None
Label = Annotated[str, Field(max_length=64)] | None
Handle = Annotated[str, Field(max_length=200)] | None
LongLabel = Annotated[str, Field(max_length=500)] | None
WebUrl = Annotated[str, Field(max_length=2000), AfterValidator(_web_url)] | None
# A BCP 47 language tag ("en", "pt-BR"), stored lower-case; notices are written in it.
Language = (
    Annotated[
        str,
        StringConstraints(
            pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$", max_length=35, to_lower=True
        ),
    ]
    | None
)


class _Record(BaseModel):
    model_config = ConfigDict(
        extra="ignore", coerce_numbers_to_str=True, frozen=True, str_strip_whitespace=False
    )

    @model_validator(mode="before")
    @classmethod
    def _empty_means_missing(cls, data: Any) -> Any:
        """An empty cell (CSV) or empty string is a missing value, not a value."""
        if isinstance(data, dict) and "" in data.values():
            return {k: v for k, v in data.items() if v != ""}
        return data


class ReportEvent(_Record):
    """One report as a platform sends it; ``ip`` and ``device`` are hashed before storage."""

    record_type: Literal["report"] = "report"
    report_id: Id
    reporter_id: Id
    target_id: Id
    content_id: OptionalId = None
    reason: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
        AfterValidator(_normalise_reason),
    ]
    text: ReportText = None
    created_at: Timestamp
    source: Label = None
    surface: Annotated[str, Field(max_length=64), AfterValidator(_surface)] | None = None
    referrer: LongLabel = None
    ip: str | None = None
    device: LongLabel = None
    outcome: Annotated[str, Field(max_length=64), AfterValidator(_outcome)] | None = None
    resolved_at: OptionalTimestamp = None
    reporter_kind: Annotated[str, Field(max_length=16), AfterValidator(_reporter_kind)] | None = (
        None
    )

    _words = field_validator(
        "reason", "text", "source", "surface", "referrer", "outcome", "ip", mode="before"
    )(_text_only)
    # A device id may be a number, as an account id may; a float is no id (see Id).
    _device = field_validator("device", mode="before")(_no_float_id)

    @model_validator(mode="after")
    def _outcome_has_a_time(self) -> ReportEvent:
        """History counts only reports filed before their outcome was known, so both are needed."""
        if self.outcome is not None and self.resolved_at is None:
            raise ValueError("resolved_at: required when outcome is given")
        if self.resolved_at is not None and self.outcome is None:
            raise ValueError("outcome: required when resolved_at is given")
        if self.resolved_at is not None and self.resolved_at < self.created_at:
            raise ValueError("resolved_at: before the report's created_at")
        return self

    @field_validator("ip")
    @classmethod
    def _valid_ip(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return normalise_ip(value)
        except ValueError:
            # The value itself is never echoed: it may be personal data.
            raise ValueError("not an IPv4 or IPv6 address") from None


class AccountSnapshot(_Record):
    """What the platform knows about an account at ``snapshot_at`` (default: import time)."""

    record_type: Literal["account"] = "account"
    account_id: Id
    created_at: Timestamp
    followers: Count = None
    following: Count = None
    posts: Count = None
    handle: Handle = None
    verified: bool | None = None
    language: Language = None
    snapshot_at: OptionalTimestamp = None

    _words = field_validator("handle", "language", mode="before")(_text_only)


class ContentRecord(_Record):
    """A reported item as the platform shows it (``type: content``): moderators read it beside
    the reports. ReportGuard never fetches it; ``url`` (or the policy's link template) links out."""

    record_type: Literal["content"] = "content"
    content_id: Id
    account_id: OptionalId = None  # who posted it
    kind: Label = None  # post, comment, image, video, listing, profile, ...
    title: ReportText = None
    text: ReportText = None
    media_url: WebUrl = None
    url: WebUrl = None
    created_at: OptionalTimestamp = None
    visibility: Label = None  # public, unlisted, followers, private, ...
    snapshot_at: OptionalTimestamp = None


class OutcomeRecord(_Record):
    """How the platform resolved a report already stored (a verdicts file imported alone)."""

    report_id: Id
    outcome: Annotated[str, Field(max_length=64), AfterValidator(_outcome)]
    resolved_at: Timestamp

    _words = field_validator("outcome", mode="before")(_text_only)


Record = ReportEvent | AccountSnapshot | ContentRecord

REPORT_FIELDS = frozenset(ReportEvent.model_fields)
ACCOUNT_FIELDS = frozenset(AccountSnapshot.model_fields)
CONTENT_FIELDS = frozenset(ContentRecord.model_fields)
KNOWN_FIELDS = REPORT_FIELDS | ACCOUNT_FIELDS | CONTENT_FIELDS | {"type"}
# What a record of each kind cannot do without (the header diagnosis names them).
REQUIRED_FIELDS = {
    "report": ("report_id", "reporter_id", "target_id", "reason", "created_at"),
    "account": ("account_id", "created_at"),
    "content": ("content_id",),
}
SENSITIVE_FIELDS = frozenset({"ip", "device"})
