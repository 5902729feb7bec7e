"""AT Protocol moderation reports (Bluesky): ``com.atproto.moderation.createReport``.

A moderation service answers ``createReport`` with the report it stored: ``id``, ``reasonType``
(a token of ``com.atproto.moderation.defs`` or ``tools.ozone.report.defs``), ``reason`` (the
reporter's words), ``subject`` (an account, ``com.atproto.admin.defs#repoRef`` with its ``did``,
or a record, ``com.atproto.repo.strongRef`` with its ``at://`` ``uri`` and ``cid``),
``reportedBy`` (a DID) and ``createdAt``. That output is what this format reads, a record a line
or an array. Sources: tests/fixtures/formats/README.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reportguard.ingest.formats.base import Converted, Fields
from reportguard.ingest.validate import FieldError, RecordError
from reportguard.policy.schema import FormatMapping

NAME = "atproto"
REPO_REF = "com.atproto.admin.defs#repoRef"
STRONG_REF = "com.atproto.repo.strongRef"


def convert(raw: Mapping[str, Any], mapping: FormatMapping) -> list[Converted]:
    """One stored report; a record subject also becomes a content record."""
    f = Fields(raw)
    report_id = f.text("id", required=True)
    reason_type = f.text("reasonType", required=True)
    subject = f.mapping("subject", required=True)
    assert subject is not None
    kind = Fields(subject).text("$type")
    if kind == REPO_REF or (kind is None and "did" in subject):
        target = _did(f.text("subject.did", required=True), "subject.did")
        content: str | None = None
    elif kind == STRONG_REF or (kind is None and "uri" in subject):
        content = f.text("subject.uri", required=True)
        f.text("subject.cid", required=True)
        assert content is not None
        target = _repo_of(content)
    else:
        raise RecordError(
            [FieldError("subject.$type", f"use {REPO_REF} (an account) or {STRONG_REF} (a record)")]
        )
    reporter = _did(f.text("reportedBy", required=True), "reportedBy")
    out = [
        Converted(
            {
                "type": "report",
                "report_id": report_id,
                "reporter_id": reporter,
                "target_id": target,
                "content_id": content,
                "reason": mapping.reason_for(reason_type),
                "text": f.text("reason"),
                "created_at": f.get("createdAt"),
                "source": NAME,
            },
            source=raw,
            origin={
                "report_id": "id",
                "reporter_id": "reportedBy",
                "target_id": "subject.did" if content is None else "subject.uri",
                "content_id": "subject.uri",
                "reason": "reasonType",
                "text": "reason",
                "created_at": "createdAt",
            },
        )
    ]
    if content is not None:
        collection = content.removeprefix("at://").split("/")[1:2]
        out.append(
            Converted(
                {
                    "type": "content",
                    "content_id": content,
                    "account_id": target,
                    "kind": collection[0].rsplit(".", 1)[-1] if collection else None,
                },
                source=raw,
                origin={"content_id": "subject.uri"},
            )
        )
    return out


def _did(value: str | None, where: str) -> str:
    if value is None or not value.startswith("did:") or value.count(":") < 2:
        raise RecordError([FieldError(where, "not a DID (did:method:identifier)")])
    return value


def _repo_of(uri: str) -> str:
    """The account (DID) an ``at://`` record URI belongs to."""
    if not uri.startswith("at://"):
        raise RecordError([FieldError("subject.uri", "not an at:// URI")])
    return _did(uri.removeprefix("at://").split("/", 1)[0], "subject.uri")
