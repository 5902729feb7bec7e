"""Statements of reasons in the DSA Transparency Database's submission format (Article 24(5)).

Every restriction ReportGuard carried out (a feature restricted, a suspension, a ban) becomes one
statement: its ``puid`` is the action's key, its category comes from the policy's ``[dsa]``
table, its facts from the decision. A warning restricts nothing, so it has no statement. Each
statement is checked against the database's rules (:mod:`reportguard.oversight.dsa_rules`)
before it is written or sent; one that fails stops the export with the action and field named.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from reportguard.errors import ReportGuardError
from reportguard.oversight.dsa_rules import PUID, validate_statement
from reportguard.policy import Policy
from reportguard.store.models import Action, Case, CaseReport, Content, Decision, Report
from reportguard.store.types import as_utc

# What each action restricts, in the database's terms: (field, value, its end-date field).
RESTRICTIONS = {
    "restrict": ("decision_provision", "DECISION_PROVISION_PARTIAL_SUSPENSION",
                 "end_date_service_restriction"),
    "suspend": ("decision_account", "DECISION_ACCOUNT_SUSPENDED", "end_date_account_restriction"),
    "ban": ("decision_account", "DECISION_ACCOUNT_TERMINATED", None),
}  # fmt: skip
# A content record's kind, as the database's content types.
CONTENT_KINDS = {
    "post": "CONTENT_TYPE_TEXT", "reply": "CONTENT_TYPE_TEXT", "comment": "CONTENT_TYPE_TEXT",
    "text": "CONTENT_TYPE_TEXT", "thread": "CONTENT_TYPE_TEXT", "message": "CONTENT_TYPE_TEXT",
    "image": "CONTENT_TYPE_IMAGE", "photo": "CONTENT_TYPE_IMAGE", "video": "CONTENT_TYPE_VIDEO",
    "audio": "CONTENT_TYPE_AUDIO", "listing": "CONTENT_TYPE_PRODUCT",
    "product": "CONTENT_TYPE_PRODUCT", "app": "CONTENT_TYPE_APP",
}  # fmt: skip


class StatementError(ReportGuardError):
    """A statement that the database would refuse; nothing is written or sent."""


@dataclass(frozen=True)
class Statement:
    action_id: int
    puid: str
    body: dict[str, Any]


@dataclass
class StatementSet:
    statements: list[Statement]
    warnings: int  # warnings in the period: no restriction, so no statement


def puid_of(action_key: str) -> str:
    """The action's key when the database's puid pattern allows it, else a stable digest."""
    if PUID.match(action_key) and len(action_key) <= 500:
        return action_key
    return "act-" + hashlib.sha256(action_key.encode()).hexdigest()[:40]


def statements(engine: Engine, *, policy: Policy, start: datetime, end: datetime) -> StatementSet:
    """The statements of every restriction carried out in [start, end), oldest first, each
    checked against the database's rules."""
    out, warnings = [], 0
    with Session(engine) as session:
        rows = session.execute(
            sa.select(Action, Decision, Case)
            .outerjoin(Decision, Decision.id == Action.decision_id)
            .outerjoin(Case, Case.id == Decision.case_id)
            .where(Action.created_at >= start, Action.created_at < end)
            .where(Action.kind.in_([*RESTRICTIONS, "warn"]))
            .order_by(Action.id)
        ).all()
        for action, decision, case in rows:
            if action.kind == "warn":
                warnings += 1
                continue
            body = _statement(session, policy, action, decision, case)
            problems = validate_statement(body)
            if problems:
                named = "; ".join(f"{field}: {message}" for field, message in problems)
                raise StatementError(f"action {action.action_key}: {named}")
            out.append(Statement(action.id, body["puid"], body))
    return StatementSet(out, warnings)


def _statement(
    session: Session, policy: Policy, action: Action, decision: Decision | None, case: Case | None
) -> dict[str, Any]:
    dsa = policy.dsa
    field, value, end_field = RESTRICTIONS[action.kind]
    reason = (case.reason if case is not None else None) or _strike_reason(action)
    clause = str(action.statement.get("clause") or policy.reason(reason).clause)
    first_report, kind = _case_content(session, case)
    body: dict[str, Any] = {
        field: value,
        "decision_ground": dsa.decision_ground,
        "category": dsa.category(reason),
        "content_type": [CONTENT_KINDS.get((kind or "").lower(), dsa.content_type)],
        "territorial_scope": list(dsa.territorial_scope),
        "content_date": (first_report or as_utc(action.starts_at)).date().isoformat(),
        "application_date": as_utc(action.starts_at).date().isoformat(),
        "decision_facts": _facts(action, decision, case)[:5000],
        "source_type": "SOURCE_ARTICLE_16" if case is not None else "SOURCE_VOLUNTARY",
        "automated_detection": "No",  # the items were reported by people, not found by a model
        "automated_decision": (
            "AUTOMATED_DECISION_FULLY" if action.automated else "AUTOMATED_DECISION_NOT_AUTOMATED"
        ),
        "puid": puid_of(action.action_key),
    }
    if end_field is not None and action.ends_at is not None:
        body[end_field] = as_utc(action.ends_at).date().isoformat()
    if "CONTENT_TYPE_OTHER" in body["content_type"]:
        body["content_type_other"] = dsa.content_type_other[:500]
    explanation = (decision.reason if decision is not None else None) or clause
    if dsa.decision_ground == "DECISION_GROUND_INCOMPATIBLE_CONTENT":
        body["incompatible_content_ground"] = clause[:500]
        body["incompatible_content_explanation"] = explanation[:2000]
        body["incompatible_content_illegal"] = "No"
    else:
        body["illegal_content_legal_ground"] = clause[:500]
        body["illegal_content_explanation"] = explanation[:2000]
    if dsa.terms_url:
        body["decision_ground_reference_url"] = dsa.terms_url[:500]
    return body


def _strike_reason(action: Action) -> str:
    facts = action.statement.get("facts_and_circumstances") or {}
    return str(facts.get("reason") or "other")


def _case_content(session: Session, case: Case | None) -> tuple[datetime | None, str | None]:
    """When the case's first report was filed, and the kind of the first reported item."""
    if case is None:
        return None, None
    first = session.execute(
        sa.select(Report.created_at, Content.created_at, Content.kind)
        .join(CaseReport, CaseReport.report_pk == Report.id)
        .outerjoin(Content, Content.content_id == Report.content_id)
        .where(CaseReport.case_id == case.id)
        .order_by(Report.created_at, Report.id)
        .limit(1)
    ).first()
    if first is None:
        return None, None
    reported, posted, kind = first
    return as_utc(posted or reported), kind


def _facts(action: Action, decision: Decision | None, case: Case | None) -> str:
    """The facts and circumstances, in words: the moderator's note and what the case showed."""
    facts = action.statement.get("facts_and_circumstances") or {}
    parts = []
    if decision is not None and decision.reason:
        parts.append(decision.reason.strip())
    if case is not None:
        parts.append(
            f"Reported {case.n_reports} times by {case.n_voices} independent reporters "
            f"for {case.reason or 'other'}."
        )
    parts += [str(s) for s in facts.get("assessment", [])]
    if action.automated:
        parts.append("Decided by the platform's automated rules for this reason.")
    return " ".join(parts) or f"Action {action.kind} under the platform's terms."


def write_statements(found: StatementSet, path: Path) -> Path:
    """One statement a line, each exactly as the database takes it (JSON Lines)."""
    with path.open("w", encoding="utf-8") as handle:
        for statement in found.statements:
            handle.write(json.dumps(statement.body, ensure_ascii=False) + "\n")
    return path


def batches(items: list[Statement], size: int) -> Iterator[list[Statement]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
