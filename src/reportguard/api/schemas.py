"""Request and response bodies of the HTTP API, as they appear in ``/openapi.json``."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from reportguard.api.errors import ErrorDetail
from reportguard.ingest.contract import AccountSnapshot, ReportEvent

MAX_BATCH = 5000

REPORT_EXAMPLE: dict[str, Any] = {
    "report_id": "r-1001",
    "reporter_id": "u-17",
    "target_id": "u-9",
    "content_id": "post-5",
    "reason": "harassment",
    "text": "keeps posting my address",
    "created_at": "2026-11-24T20:31:07Z",
    "ip": "198.51.100.7",
    "device": "device-abc",
    "referrer": "https://example.org/thread/1",
}


ACCOUNT_EXAMPLE: dict[str, Any] = {
    "account_id": "u-17",
    "created_at": "2019-03-02T10:00:00Z",
    "followers": 120,
    "posts": 340,
    "handle": "@seventeen",
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _contract(model: type[BaseModel]) -> dict[str, Any]:
    """A record type's documented shape: its fields and the ones it requires. Not enforced on
    the batch as a whole: each record is checked on its own, and a bad one is named (207)."""
    schema = model.model_json_schema()
    return {"type": "object", "required": schema.get("required", [])}


class RecordBatch(Strict):
    """Records as in the input contract (docs/concepts.md): each one checked on its own."""

    records: list[Any] = Field(
        description=f"Up to {MAX_BATCH:,} records (a larger batch is refused with 413). Each is "
        "validated separately: good records are stored, bad ones named by index and field.",
        examples=[[REPORT_EXAMPLE]],
        json_schema_extra={"items": _contract(ReportEvent)},
    )


class AccountBatch(Strict):
    """Account snapshots (docs/concepts.md): each one checked on its own."""

    records: list[Any] = Field(
        description=f"Up to {MAX_BATCH:,} account snapshots, each with at least `account_id` and "
        "`created_at`. Each is validated separately: good ones are stored, bad ones named by "
        "index and field.",
        examples=[[ACCOUNT_EXAMPLE]],
        json_schema_extra={"items": _contract(AccountSnapshot)},
    )


class IngestResult(BaseModel):
    run_id: int
    records: int
    accepted: int = Field(description="Reports stored now.")
    duplicates: int = Field(description="Reports already stored (same report_id): not stored.")
    accounts: int = Field(description="Account snapshots stored or refreshed.")
    contents: int = Field(0, description="Content records (reported items) stored or refreshed.")
    rejected: int
    errors: list[ErrorDetail] = Field(description="Every rejected record, by index and field.")
    ignored_fields: dict[str, int] = {}


class CaseRow(BaseModel):
    id: int
    target_id: str
    status: str
    priority: float
    probability: float | None
    reason: str | None
    reports: int
    voices: int
    shielded: bool
    queue: str = Field(
        description="violation, or dispute: the target and its reporters report each other."
    )
    opened_at: str
    claimed_by: str | None
    why: list[str] = Field(description="Plain sentences: why the case ranks where it does.")


class Page(BaseModel):
    total: int
    limit: int
    offset: int


class CasePage(Page):
    items: list[CaseRow]


class CaseReportRow(BaseModel):
    report_id: str
    reporter_id: str
    content_id: str | None
    reason: str
    text: str | None
    created_at: datetime
    campaign_ids: list[int]
    verdict: str | None


class DecisionRow(BaseModel):
    id: int
    case_id: int
    moderator: str
    outcome: str
    policy_clause: str | None
    reason: str | None
    decided_at: datetime
    superseded_by: int | None


class ActionRow(BaseModel):
    action_id: str
    account_id: str
    kind: str
    feature: str | None
    starts_at: str
    ends_at: str | None
    automated: bool
    status: str
    statement_of_reasons: dict[str, Any]


class AppealRow(BaseModel):
    id: int
    kind: str
    status: str
    appellant_id: str
    decision_id: int | None
    action_id: str | None
    restriction_id: int | None
    statement: str | None
    filed_at: datetime
    decided_by: str | None
    decided_at: datetime | None


class AuditRow(BaseModel):
    seq: int
    at: datetime
    actor: str
    event: str
    subject_type: str
    subject_id: str
    payload: dict[str, Any]


class ReportedItemRow(BaseModel):
    """A reported item as the platform sent it (a content record); ReportGuard never fetches it."""

    content_id: str
    report_ids: list[str] = Field(description="The reports in this case that name this item.")
    kind: str | None = None
    title: str | None = None
    text: str | None = None
    media_url: str | None = None
    url: str | None = Field(None, description="Its page on the platform: a link out.")
    visibility: str | None = None
    created_at: datetime | None = None
    known: bool = Field(description="False when the platform sent no content record for it.")


class TargetRow(BaseModel):
    """The reported account: handle and profile link (from its snapshot and the policy's links)."""

    account_id: str
    handle: str | None = None
    profile_url: str | None = None
    created_at: datetime | None = None
    followers: int | None = None
    posts: int | None = None


class CaseDetail(BaseModel):
    case: CaseRow
    explanation: dict[str, Any] = Field(description="Figures, the heaviest voices and sentences.")
    target: TargetRow
    content: list[ReportedItemRow] = Field(description="What was reported, first reported first.")
    reports: list[CaseReportRow]
    reports_total: int
    decisions: list[DecisionRow]
    actions: list[ActionRow]
    appeals: list[AppealRow]
    history: list[AuditRow]


class Claim(BaseModel):
    case_id: int
    claimed_by: str
    claim_expires_at: datetime


class DecisionIn(Strict):
    outcome: Literal["violation", "no_violation", "dispute"]
    clause: str | None = Field(None, max_length=200, description="Policy clause (violations).")
    reason: str | None = Field(None, max_length=5000, description="The moderator's reasoning.")
    unfounded: list[str] = Field(
        [], max_length=MAX_BATCH, description="report_ids judged manifestly unfounded."
    )


class DecisionOut(BaseModel):
    decision_id: int
    case_id: int
    target_id: str
    outcome: str
    clause: str | None
    verdicts: dict[str, int]
    action: dict[str, Any] | None
    misuse: list[dict[str, Any]]


class CampaignRow(BaseModel):
    id: int
    status: str
    score: float
    first_report_at: datetime
    last_report_at: datetime
    detected_at: datetime
    members: int = Field(description="Reporters in the campaign (its members).")
    targets: int = Field(description="Accounts the campaign lists, each on its own evidence.")
    reports: int = Field(
        description="Reports filed by its members against its targets: the reports a "
        "confirmation marks unfounded. A wave's evidence counts every report in the wave, "
        "members' or not."
    )
    decided_by: str | None


class CampaignPage(Page):
    items: list[CampaignRow]


class CampaignDetail(BaseModel):
    campaign: CampaignRow
    evidence: dict[str, Any]
    member_ids: list[str]
    target_ids: list[str]
    open_case_ids: list[int]


class CampaignVerdictIn(Strict):
    status: Literal["confirmed", "dismissed"]
    note: str | None = Field(None, max_length=5000)


class Standing(BaseModel):
    reason: str = Field(description="'' is the reporter's overall record.")
    credibility: float
    prior: float
    upheld: float
    rejected: float
    unfounded: float
    sentence: str


class CredibilityOut(BaseModel):
    reporter_id: str
    standings: list[Standing]
    suspended: bool


class ActionPage(Page):
    items: list[ActionRow]


class AppealIn(Strict):
    """An appeal names exactly one subject: an action, a decision or a misuse restriction."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "oneOf": [
                {"required": [name], "properties": {name: {"not": {"type": "null"}}}}
                for name in ("action_id", "decision_id", "restriction_id")
            ]
        },
    )

    appellant: str = Field(min_length=1, max_length=200)
    action_id: str | None = Field(None, max_length=64)
    decision_id: int | None = Field(None, ge=1, le=2**62)
    restriction_id: int | None = Field(None, ge=1, le=2**62)
    statement: str | None = Field(None, max_length=5000)


class AppealDecisionIn(Strict):
    outcome: Literal["upheld", "overturned"]
    note: str | None = Field(None, max_length=5000)


class AppealPage(Page):
    items: list[AppealRow]


class RestrictionRow(BaseModel):
    id: int
    reporter_id: str
    kind: str
    status: str
    starts_at: datetime
    ends_at: datetime | None
    grounds: dict[str, Any]


class LedgerRow(BaseModel):
    reporter_id: str
    unfounded: int
    decided: int
    share: float


class MisuseOut(BaseModel):
    restrictions: list[RestrictionRow]
    ledgers: list[LedgerRow]


class AuditVerification(BaseModel):
    ok: bool
    entries: int
    head: str
    problems: list[str]


class AuditPage(Page):
    items: list[AuditRow]


class Health(BaseModel):
    status: Literal["ok"]
    version: str


class Readiness(BaseModel):
    ready: bool
    database: str
    schema_version: str | None
    detection: dict[str, Any]
