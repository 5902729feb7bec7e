"""The domain model of DESIGN.md as tables, in flow order.

ingest/store: Account, Report, IngestRun. detect: Campaign and its members, targets and reports.
triage/review: Case, CaseReport, Decision. enforce: Action, Strike. appeal: Appeal. Everything that
changes a person's standing is also written to AuditEntry.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from reportguard.store.types import BigIntPK, UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID = 200  # longest external id we accept (report, account, content ids)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


# --- ingest / store -------------------------------------------------------------------------


class Account(Base):
    """The latest snapshot of a platform account, as the platform sent it."""

    __tablename__ = "accounts"

    account_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    created_at: Mapped[datetime]
    followers: Mapped[int | None] = mapped_column(BigInteger)
    following: Mapped[int | None] = mapped_column(BigInteger)
    posts: Mapped[int | None] = mapped_column(BigInteger)
    handle: Mapped[str | None] = mapped_column(String(ID))
    verified: Mapped[bool | None] = mapped_column(Boolean)
    language: Mapped[str | None] = mapped_column(String(35))  # for notices, e.g. "pt-br"
    snapshot_at: Mapped[datetime]


class Report(Base):
    """One user's complaint. ``ip_hash``/``device_hash`` are keyed hashes, never raw values.

    Only two full secondary indexes: each one roughly halves bulk-import speed, and detection
    reads reports in bulk rather than by time or address (see benchmarks/README.md). The third is
    partial and empty unless the platform imports its history.
    """

    __tablename__ = "reports"
    __table_args__ = (
        Index("ix_reports_target_time", "target_id", "created_at"),
        Index("ix_reports_reporter_time", "reporter_id", "created_at"),
        # Partial: only reports whose imported outcome is not yet read into credibility, so it
        # costs nothing on a log without history.
        Index(
            "ix_reports_outcome_pending",
            "target_id",
            sqlite_where=text("outcome IS NOT NULL AND history_counted IS NULL"),
            postgresql_where=text("outcome IS NOT NULL AND history_counted IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    report_id: Mapped[str] = mapped_column(String(ID), unique=True)
    reporter_id: Mapped[str] = mapped_column(String(ID))
    target_id: Mapped[str] = mapped_column(String(ID))
    content_id: Mapped[str | None] = mapped_column(String(ID))
    reason: Mapped[str] = mapped_column(String(64))
    text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    source: Mapped[str | None] = mapped_column(String(64))
    referrer: Mapped[str | None] = mapped_column(String(500))
    surface: Mapped[str | None] = mapped_column(String(16))  # where in the app it was filed
    ip_hash: Mapped[str | None] = mapped_column(String(32))
    device_hash: Mapped[str | None] = mapped_column(String(32))
    ingest_run_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_runs.id"))
    # The platform's own decision before ReportGuard (imported history): upheld|rejected|unfounded.
    outcome: Mapped[str | None] = mapped_column(String(16))
    resolved_at: Mapped[datetime | None]
    # Set once the outcome has been read into credibility: True if it counted, False if the
    # report was filed after its outcome was already known on that target (kept, not counted).
    history_counted: Mapped[bool | None]
    # "server" for a report a remote server filed for its users (an ActivityPub Flag): one
    # reporter per server, not a person; None for an ordinary reporter.
    reporter_kind: Mapped[str | None] = mapped_column(String(16))


class Content(Base):
    """The latest snapshot of a reported item (post, comment, video, listing) as the platform
    sent it: what the moderator reads beside the reports. Nothing is fetched from the platform."""

    __tablename__ = "contents"

    content_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    account_id: Mapped[str | None] = mapped_column(String(ID), index=True)
    kind: Mapped[str | None] = mapped_column(String(64))  # post, comment, image, video, ...
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)
    media_url: Mapped[str | None] = mapped_column(String(2000))
    url: Mapped[str | None] = mapped_column(String(2000))  # its page on the platform
    visibility: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime | None]
    snapshot_at: Mapped[datetime]


class IngestRun(Base):
    """One import of one file (or one API batch): what came in and what became of it."""

    __tablename__ = "ingest_runs"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(1000))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="running")
    records: Mapped[int] = mapped_column(BigInteger, default=0)
    accepted: Mapped[int] = mapped_column(BigInteger, default=0)
    duplicates: Mapped[int] = mapped_column(BigInteger, default=0)
    rejected: Mapped[int] = mapped_column(BigInteger, default=0)
    accounts: Mapped[int] = mapped_column(BigInteger, default=0)


# --- detect ---------------------------------------------------------------------------------


class Campaign(Base):
    """A group of reporters acting together against one or more targets, with its evidence."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    campaign_key: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active|confirmed|dismissed
    score: Mapped[float] = mapped_column(Float)
    first_report_at: Mapped[datetime]
    last_report_at: Mapped[datetime]
    detected_at: Mapped[datetime]
    n_members: Mapped[int] = mapped_column(Integer)
    n_targets: Mapped[int] = mapped_column(Integer)
    n_reports: Mapped[int] = mapped_column(Integer)
    evidence: Mapped[dict[str, Any]]
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None]


class CampaignMember(Base):
    __tablename__ = "campaign_members"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    reporter_id: Mapped[str] = mapped_column(String(ID), primary_key=True, index=True)
    score: Mapped[float] = mapped_column(Float, default=1.0)


class CampaignTarget(Base):
    __tablename__ = "campaign_targets"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    target_id: Mapped[str] = mapped_column(String(ID), primary_key=True, index=True)


class CampaignReport(Base):
    __tablename__ = "campaign_reports"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    report_pk: Mapped[int] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ReportScore(Base):
    """Every report's own number from the last detection over it (``detect.report_scores``):
    its stream surprise, its score, and, when it came in a burst that showed signs of
    coordination below a campaign's bar, that burst's key (``suspect``), which triage reads as
    one voice."""

    __tablename__ = "report_scores"

    report_pk: Mapped[int] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True
    )
    stream: Mapped[float] = mapped_column(Float)
    score: Mapped[float] = mapped_column(Float)
    suspect: Mapped[str | None] = mapped_column(String(300), index=True)
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime)


# --- triage / review ------------------------------------------------------------------------


class Case(Base):
    """All open reports about one target (or one piece of content), with its priority."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_status_priority", "status", "priority"),
        # A target's open case in one probe (a live feed attaches each new report to it).
        Index("ix_cases_target_status", "target_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    target_id: Mapped[str] = mapped_column(String(ID))
    content_id: Mapped[str | None] = mapped_column(String(ID))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open|decided|closed
    priority: Mapped[float] = mapped_column(Float, default=0.0)
    reason: Mapped[str | None] = mapped_column(String(64))  # the reason most weight rests on
    n_reports: Mapped[int] = mapped_column(Integer, default=0)
    n_voices: Mapped[int] = mapped_column(Integer, default=0)
    explanation: Mapped[dict[str, Any]] = mapped_column(default=dict)
    shielded: Mapped[bool] = mapped_column(Boolean, default=False)
    # "violation", or "dispute": two accounts reporting each other, for blocking tools first
    queue: Mapped[str] = mapped_column(String(16), default="violation", server_default="violation")
    opened_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claim_expires_at: Mapped[datetime | None]


class CaseReport(Base):
    __tablename__ = "case_reports"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    report_pk: Mapped[int] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ReporterCredibility(Base):
    """A reporter's decayed record of upheld, rejected and unfounded reports (reason "" = all)."""

    __tablename__ = "reporter_credibility"

    reporter_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    reason: Mapped[str] = mapped_column(String(64), primary_key=True, default="")
    upheld: Mapped[float] = mapped_column(Float, default=0.0)
    rejected: Mapped[float] = mapped_column(Float, default=0.0)
    unfounded: Mapped[float] = mapped_column(Float, default=0.0)
    updated_at: Mapped[datetime]


class ReportVerdict(Base):
    """What a decision said of one report; the misuse ledger and transparency figures read it."""

    __tablename__ = "report_verdicts"
    __table_args__ = (Index("ix_report_verdicts_reporter_time", "reporter_id", "decided_at"),)

    report_pk: Mapped[int] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True
    )
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    reporter_id: Mapped[str] = mapped_column(String(ID))
    reason: Mapped[str] = mapped_column(String(64))
    verdict: Mapped[str] = mapped_column(String(16))  # upheld|rejected|unfounded
    decided_at: Mapped[datetime]


class ImportedRuling(Base):
    """What the platform decided about a target before ReportGuard, from its imported history.

    One row per target: a violation if any of its reports was upheld. The share of violations
    among these and ReportGuard's own decisions is where a new case's odds start.
    """

    __tablename__ = "imported_rulings"

    target_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    violation: Mapped[bool]
    first_resolved_at: Mapped[datetime]


class Decision(Base):
    """A moderator's ruling on a case, with the policy clause it rests on."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    moderator: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(32))  # violation|no_violation|dispute
    policy_clause: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime]
    superseded_by: Mapped[int | None] = mapped_column(BigInteger)  # an appeal's new decision


# --- enforce --------------------------------------------------------------------------------


class Action(Base):
    """What enforcement does to an account, as data with its statement of reasons."""

    __tablename__ = "actions"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    action_key: Mapped[str] = mapped_column(String(64), unique=True)
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"), index=True)
    account_id: Mapped[str] = mapped_column(String(ID), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # warn|restrict|suspend|ban|none|reverse
    feature: Mapped[str | None] = mapped_column(String(64))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    automated: Mapped[bool] = mapped_column(Boolean, default=False)
    statement: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime]
    reversed_at: Mapped[datetime | None]


class Strike(Base):
    """A point on an account's record from an upheld violation; it expires."""

    __tablename__ = "strikes"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(ID), index=True)
    action_id: Mapped[int | None] = mapped_column(ForeignKey("actions.id"))
    category: Mapped[str] = mapped_column(String(64))
    points: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    expunged_at: Mapped[datetime | None]


class Notice(Base):
    """A message to a reporter or a reported account, rendered from a template and delivered to
    the platform through the webhook outbox (``event_id``)."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    notice_key: Mapped[str] = mapped_column(String(300), unique=True)  # one notice per fact
    kind: Mapped[str] = mapped_column(String(32))
    recipient_id: Mapped[str] = mapped_column(String(ID), index=True)
    recipient_role: Mapped[str] = mapped_column(String(16))  # reporter|account
    language: Mapped[str] = mapped_column(String(35))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(ID))
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    event_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class WebhookDelivery(Base):
    """The outbox: one row per event for the platform, delivered at least once, in order."""

    __tablename__ = "webhook_outbox"
    __table_args__ = (Index("ix_webhook_outbox_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|delivered|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class WebhookAttempt(Base):
    """Every try at delivering an outbox event, with what the receiver answered."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_outbox.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime]
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[float] = mapped_column(Float, default=0.0)


class ReportingRestriction(Base):
    """A measure against misuse of the reporting function: a warning or a suspension of it."""

    __tablename__ = "reporting_restrictions"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    reporter_id: Mapped[str] = mapped_column(String(ID), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # warning|suspension
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    grounds: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active|lifted
    created_at: Mapped[datetime]


class DsaSubmission(Base):
    """A statement of reasons the DSA Transparency Database accepted, by its ``puid``: a re-run
    of ``export statements --submit`` after a crash sends none of these again."""

    __tablename__ = "dsa_submissions"

    puid: Mapped[str] = mapped_column(String(500), primary_key=True)
    action_id: Mapped[int | None] = mapped_column(ForeignKey("actions.id"), index=True)
    endpoint: Mapped[str] = mapped_column(String(1000))
    submitted_at: Mapped[datetime]
    answer: Mapped[str] = mapped_column(String(32))  # created | already_there


# --- appeal ---------------------------------------------------------------------------------


class Appeal(Base):
    """A request to review a decision, decided by a different moderator."""

    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"), index=True)
    action_id: Mapped[int | None] = mapped_column(ForeignKey("actions.id"))
    restriction_id: Mapped[int | None] = mapped_column(ForeignKey("reporting_restrictions.id"))
    appellant_id: Mapped[str] = mapped_column(String(ID))
    kind: Mapped[str] = mapped_column(String(32))  # against_action|against_no_action|misuse
    statement: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open|upheld|overturned
    filed_at: Mapped[datetime]
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None]


# --- access ---------------------------------------------------------------------------------


class ApiKey(Base):
    """An API key: only its public id and a hash of its secret are stored."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    key_id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))  # ingest|moderator|admin
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    rate_limit: Mapped[str | None] = mapped_column(String(64))  # e.g. "100/second"; None: default


class IdempotencyRecord(Base):
    """The answer given to a request with an Idempotency-Key, replayed on a retry."""

    __tablename__ = "idempotency_keys"

    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


# --- audit ----------------------------------------------------------------------------------


class AuditEntry(Base):
    """An append-only, hash-chained record of everything that changed someone's standing."""

    __tablename__ = "audit_log"
    __table_args__ = (UniqueConstraint("seq"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    event: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(ID))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


__all__ = [
    "Account",
    "Action",
    "ApiKey",
    "Appeal",
    "AuditEntry",
    "Base",
    "Campaign",
    "CampaignMember",
    "CampaignReport",
    "CampaignTarget",
    "Case",
    "CaseReport",
    "Content",
    "Decision",
    "DsaSubmission",
    "IdempotencyRecord",
    "IngestRun",
    "Report",
    "ReportVerdict",
    "ReporterCredibility",
    "ReportingRestriction",
    "Strike",
    "WebhookAttempt",
    "WebhookDelivery",
]
