"""Mastodon's admin reports API (``GET /api/v1/admin/reports``): one ``Admin::Report`` a record.

The report names its reporter (``account``) and the reported account (``target_account``), both
as ``Admin::Account`` with the public ``Account`` inside; the statuses it cites; a ``category``
(spam, violation, legal, other) with the server ``rules`` a violation cites; the reporter's
``comment``; and whether a moderator resolved it (``action_taken``, ``action_taken_at``).
Fields and their sources: tests/fixtures/formats/README.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reportguard.ingest.formats.base import Converted, Fields, plain_text
from reportguard.ingest.validate import FieldError, RecordError
from reportguard.policy.schema import FormatMapping

NAME = "mastodon"
CATEGORIES = ("spam", "violation", "legal", "other")


def convert(raw: Mapping[str, Any], mapping: FormatMapping) -> list[Converted]:
    """The report, its two accounts and the statuses it cites, as contract records."""
    f = Fields(raw)
    report_id = f.text("id", required=True)
    reporter = f.mapping("account", required=True)
    target = f.mapping("target_account", required=True)
    reporter_id = f.text("account.id", required=True)
    target_id = f.text("target_account.id", required=True)
    assert reporter is not None
    assert target is not None
    assert target_id is not None
    statuses = [s for s in f.items("statuses") if isinstance(s, Mapping)]
    out = [
        Converted(
            {
                "type": "report",
                "report_id": report_id,
                "reporter_id": reporter_id,
                "target_id": target_id,
                "content_id": _status_id(statuses[0]) if statuses else None,
                "reason": _reason(f, mapping),
                "text": f.text("comment"),
                "created_at": f.get("created_at"),
                "source": NAME,
                "ip": reporter.get("ip"),
                **_outcome(f, mapping),
            },
            source=raw,
            origin={
                "report_id": "id",
                "reporter_id": "account.id",
                "target_id": "target_account.id",
                "content_id": "statuses[0].id",
                "reason": "category",
                "text": "comment",
                "created_at": "created_at",
                "ip": "account.ip",
                "outcome": "action_taken",
                "resolved_at": "action_taken_at",
            },
        )
    ]
    out += [_account(raw, reporter, "account"), _account(raw, target, "target_account")]
    out += [_status(raw, s, i, target_id) for i, s in enumerate(statuses)]
    return out


def _reason(f: Fields, mapping: FormatMapping) -> str:
    category = f.text("category") or "other"
    if category not in CATEGORIES:
        raise RecordError(
            [
                FieldError(
                    "category", f"not a Mastodon category (use one of {', '.join(CATEGORIES)})"
                )
            ]
        )
    if category == "violation":
        cited = [Fields(r).text("id") for r in f.items("rules") if isinstance(r, Mapping)]
        cited += [str(r) for r in f.items("rule_ids")]
        for rule in cited:
            if rule in mapping.rules:
                return mapping.rules[rule]
    return mapping.reason_for(category)


def _outcome(f: Fields, mapping: FormatMapping) -> dict[str, Any]:
    """A resolved report carries the outcome the policy gives ``action_taken``."""
    taken = f.get("action_taken")
    if taken is not None and not isinstance(taken, bool):
        raise RecordError([FieldError("action_taken", "not true or false")])
    outcome = mapping.outcomes.get("action_taken", "")
    if not taken or not outcome:
        return {}
    return {"outcome": outcome, "resolved_at": f.required("action_taken_at")}


def _account(raw: Mapping[str, Any], admin: Mapping[str, Any], where: str) -> Converted:
    """An ``Admin::Account`` as an account snapshot (counts from the public account inside)."""
    a = Fields(admin)
    username, domain = a.text("username"), a.text("domain")
    handle = f"{username}@{domain}" if username and domain else username
    return Converted(
        {
            "type": "account",
            "account_id": a.text("id"),
            "created_at": a.get("created_at"),
            "handle": handle,
            "followers": a.get("account.followers_count"),
            "following": a.get("account.following_count"),
            "posts": a.get("account.statuses_count"),
            "language": a.text("locale"),
        },
        source=raw,
        origin={
            "account_id": f"{where}.id",
            "created_at": f"{where}.created_at",
            "handle": f"{where}.username",
            "followers": f"{where}.account.followers_count",
            "following": f"{where}.account.following_count",
            "posts": f"{where}.account.statuses_count",
            "language": f"{where}.locale",
        },
    )


def _status_id(status: Mapping[str, Any]) -> str | None:
    value = status.get("id")
    return None if value is None else str(value)


def _status(
    raw: Mapping[str, Any], status: Mapping[str, Any], index: int, target: str
) -> Converted:
    """A cited status as a content record: its text, first media, page and visibility."""
    s = Fields(status)
    where = f"statuses[{index}]"
    media = [m for m in s.items("media_attachments") if isinstance(m, Mapping)]
    kind = "reply" if s.get("in_reply_to_id") else "post"
    return Converted(
        {
            "type": "content",
            "content_id": s.text("id"),
            "account_id": s.text("account.id") or target,
            "kind": kind,
            "title": s.text("spoiler_text") or None,
            "text": plain_text(s.text("content")),
            "media_url": Fields(media[0]).text("url") if media else None,
            "url": s.text("url") or s.text("uri"),
            "created_at": s.get("created_at"),
            "visibility": s.text("visibility"),
        },
        source=raw,
        origin={
            "content_id": f"{where}.id",
            "account_id": f"{where}.account.id",
            "title": f"{where}.spoiler_text",
            "text": f"{where}.content",
            "media_url": f"{where}.media_attachments[0].url",
            "url": f"{where}.url",
            "created_at": f"{where}.created_at",
            "visibility": f"{where}.visibility",
        },
    )
