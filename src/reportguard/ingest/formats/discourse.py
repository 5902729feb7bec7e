"""Discourse flags, as its admin exports give them: rows of ``post_actions`` that are flags.

A flag row names its flagger (``user_id``), the post (``post_id``) and the flag type
(``post_action_type_id``: 3 off_topic, 4 inappropriate, 6 notify_user, 7 notify_moderators,
8 spam, 10 illegal; or its name), when it was made (``created_at``) and how staff resolved it
(``agreed_at``, ``disagreed_at``, ``deferred_at``). The reported account is the post's author
(``poster_id``, joined from ``posts.user_id``: the "Flag status" admin report's column). The
"Flag status" report's own names are read too (``flagger_id``, ``post_type``, ``resolution``
with ``response_time``), and ``topic_id`` with ``post_number`` stand for a post without its id.
A row without an ``id`` is named by Discourse's unique index on (user_id, post_id): one flag per
user and post. Optional post columns (``raw``, ``topic_title``, ``post_url``) become the
content record. Sources: tests/fixtures/formats/README.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from reportguard.ingest.formats.base import Converted, Fields
from reportguard.ingest.validate import FieldError, RecordError
from reportguard.policy.schema import FormatMapping

NAME = "discourse"
FLAG_TYPES = {3: "off_topic", 4: "inappropriate", 6: "notify_user", 7: "notify_moderators",
              8: "spam", 10: "illegal"}  # fmt: skip
NOT_FLAGS = {1: "bookmark", 2: "like", 5: "vote"}
RESOLUTIONS = ("agreed", "disagreed", "deferred")


def convert(raw: Mapping[str, Any], mapping: FormatMapping) -> list[Converted]:
    """One flag as a report (with its outcome) and, when the row carries it, the post."""
    f = Fields(raw)
    flagger_field = "user_id" if _has(f, "user_id") else "flagger_id"
    flagger = f.text(flagger_field, required=True)
    poster = f.text("poster_id", required=True)
    post, post_field = _post(f)
    flag = _flag_type(f)
    report_id = f.text("id") or f"{flagger}:{post}"
    created = f.get("created_at")
    outcome, resolved, resolved_field = _resolution(f, mapping, created)
    out = [
        Converted(
            {
                "type": "report",
                "report_id": report_id,
                "reporter_id": flagger,
                "target_id": poster,
                "content_id": post,
                "reason": mapping.reason_for(flag),
                "text": f.text("message"),
                "created_at": created,
                "source": NAME,
                "outcome": outcome,
                "resolved_at": resolved,
            },
            source=raw,
            origin={
                "report_id": "id",
                "reporter_id": flagger_field,
                "target_id": "poster_id",
                "content_id": post_field,
                "text": "message",
                "created_at": "created_at",
                "outcome": resolved_field,
                "resolved_at": resolved_field,
            },
        )
    ]
    if any(_has(f, name) for name in ("raw", "cooked", "topic_title", "post_url")):
        out.append(
            Converted(
                {
                    "type": "content",
                    "content_id": post,
                    "account_id": poster,
                    "kind": "post",
                    "title": f.text("topic_title"),
                    "text": f.text("raw"),
                    "url": f.text("post_url"),
                    "created_at": f.get("post_created_at"),
                },
                source=raw,
                origin={
                    "title": "topic_title",
                    "text": "raw",
                    "url": "post_url",
                    "created_at": "post_created_at",
                },
            )
        )
    return out


def _has(f: Fields, name: str) -> bool:
    value = f.get(name)
    return value is not None and value != ""


def _post(f: Fields) -> tuple[str, str]:
    if _has(f, "post_id"):
        return str(f.text("post_id")), "post_id"
    if _has(f, "topic_id") and _has(f, "post_number"):
        return f"t/{f.text('topic_id')}/{f.text('post_number')}", "topic_id"
    raise RecordError(
        [FieldError("post_id", "required field is missing (or topic_id and post_number)")]
    )


def _flag_type(f: Fields) -> str:
    """The flag's name: from its type id, or the name an export wrote (``post_type``)."""
    if _has(f, "post_action_type_id"):
        value = f.get("post_action_type_id")
        try:
            number = int(str(value))
        except ValueError:
            raise RecordError([FieldError("post_action_type_id", "not a whole number")]) from None
        if number in NOT_FLAGS:
            raise RecordError(
                [
                    FieldError(
                        "post_action_type_id", f"{number} is a {NOT_FLAGS[number]}, not a flag"
                    )
                ]
            )
        return FLAG_TYPES.get(number, f"custom_{number}")
    for name in ("flag_type", "post_type"):
        if _has(f, name):
            return str(f.text(name)).strip().lower()
    raise RecordError(
        [FieldError("post_action_type_id", "required field is missing (or flag_type)")]
    )


def _resolution(f: Fields, mapping: FormatMapping, created: Any) -> tuple[str | None, Any, str]:
    """(outcome, resolved_at, the column it came from) as the policy reads staff's ruling."""
    for word in RESOLUTIONS:
        if _has(f, f"{word}_at"):
            outcome = mapping.outcomes.get(word, "")
            return (outcome or None), (f.get(f"{word}_at") if outcome else None), f"{word}_at"
    if _has(f, "resolution"):
        word = str(f.text("resolution")).strip().lower()
        if word not in (*RESOLUTIONS, "no action", "no_action"):
            raise RecordError(
                [FieldError("resolution", "use agreed, disagreed, deferred or no action")]
            )
        outcome = mapping.outcomes.get(word, "")
        if not outcome:
            return None, None, "resolution"
        return outcome, _after(created, f.get("response_time")), "response_time"
    return None, None, "agreed_at"


def _after(created: Any, seconds: Any) -> Any:
    """``created_at`` plus the report's ``response_time`` (seconds), as ISO text."""
    try:
        start = datetime.fromisoformat(str(created).replace("Z", "+00:00"))
        return (start + timedelta(seconds=float(seconds))).isoformat()
    except (TypeError, ValueError):
        raise RecordError(
            [FieldError("response_time", "needs created_at and a number of seconds")]
        ) from None
