"""ActivityPub ``Flag`` activities, as a server receives them from other servers.

A remote server flags on behalf of its users, but the activity names the server's own actor, not
the person: ``actor`` is the remote server, so every flag from one server has one reporter. Such
reports are stored with ``reporter_kind = "server"``: the batch and live detection leave them
out (a server is not a person; it has no account age, address or device, and one server
forwarding many users' flags would look like one very busy reporter), and the case page marks
them (docs/integrate.md). ``object`` lists the reported account's URI first, then the URIs of
the posts (Mastodon's order); ``content`` is the comment. Flags carry no time of their own in
Mastodon's serializer, so ``published`` (when the sender gives it) or ``received_at`` (when the
receiving server stored it) is required. Sources: tests/fixtures/formats/README.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from reportguard.ingest.formats.base import Converted, Fields, plain_text
from reportguard.ingest.validate import FieldError, RecordError
from reportguard.policy.schema import FormatMapping

NAME = "activitypub"


def convert(raw: Mapping[str, Any], mapping: FormatMapping) -> list[Converted]:
    """One Flag as a report by its server, and a content record per flagged post."""
    f = Fields(raw)
    kind = f.text("type", required=True)
    if kind != "Flag":
        raise RecordError([FieldError("type", f"not a Flag activity ({kind!r})")])
    actor = _uri(f.get("actor"), "actor")
    objects = _objects(f.get("object"))
    when = f.get("published") or f.get("received_at")
    if when is None:
        raise RecordError(
            [FieldError("published", "required field is missing (or received_at, when stored)")]
        )
    target, posts = objects[0], objects[1:]
    text = plain_text(f.text("content"))
    flag_id = f.text("id") or _derived_id(actor, objects, text, str(when))
    out = [
        Converted(
            {
                "type": "report",
                "report_id": flag_id,
                "reporter_id": actor,
                "reporter_kind": "server",
                "target_id": target,
                "content_id": posts[0] if posts else None,
                "reason": mapping.default,
                "text": text,
                "created_at": when,
                "source": NAME,
            },
            source=raw,
            origin={
                "report_id": "id",
                "reporter_id": "actor",
                "target_id": "object[0]",
                "content_id": "object[1]",
                "text": "content",
                "created_at": "published" if f.get("published") else "received_at",
            },
        )
    ]
    for index, post in enumerate(posts, start=1):
        out.append(
            Converted(
                {"type": "content", "content_id": post, "account_id": target, "url": post},
                source=raw,
                origin={"content_id": f"object[{index}]", "url": f"object[{index}]"},
            )
        )
    return out


def _uri(value: Any, where: str) -> str:
    """An actor or object given as a URI or as an object with an ``id``."""
    if isinstance(value, Mapping):
        value = value.get("id")
    if not isinstance(value, str) or not value.strip():
        raise RecordError([FieldError(where, "required field is missing (a URI)")])
    return value.strip()


def _objects(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    if not items or items == [None]:
        raise RecordError([FieldError("object", "required field is missing")])
    return [_uri(item, f"object[{i}]") for i, item in enumerate(items)]


def _derived_id(actor: str, objects: list[str], text: str | None, when: str) -> str:
    """An id for a Flag sent without one (older Mastodon), the same on every re-import."""
    digest = hashlib.sha256("\n".join([actor, *objects, text or "", when]).encode()).hexdigest()
    return f"flag:{digest[:32]}"
