"""What every platform format shares: records made from a platform's own, with their origin.

An adapter reads one record of a platform's export (a Mastodon report, an ActivityPub ``Flag``)
and returns contract records (:mod:`reportguard.ingest.contract`): the report, the accounts and
the content it names. Each carries the platform record it came from and, per contract field, the
platform's own name for it, so an error names the field the person fixing the export can find
(``target_account.created_at``, not ``created_at``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from typing import Any

from reportguard.ingest.validate import FieldError, RecordError


class Converted(dict[str, Any]):
    """A contract record an adapter made, with the platform record and field names behind it."""

    def __init__(
        self, data: Mapping[str, Any], *, source: Mapping[str, Any], origin: Mapping[str, str]
    ) -> None:
        super().__init__({k: v for k, v in data.items() if v is not None})
        self.source = source
        self.origin = dict(origin)


Adapter = Callable[[Mapping[str, Any]], list[Converted]]


class Fields:
    """Read a platform record by path, naming the path in every error."""

    def __init__(self, record: Mapping[str, Any]) -> None:
        self.record = record

    def get(self, path: str) -> Any:
        """The value at a dotted path (``account.account.url``), or None where any step is."""
        value: Any = self.record
        for step in path.split("."):
            if not isinstance(value, Mapping):
                return None
            value = value.get(step)
        return value

    def required(self, path: str) -> Any:
        value = self.get(path)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise RecordError([FieldError(path, "required field is missing")])
        return value

    def text(self, path: str, *, required: bool = False) -> str | None:
        """A text field (numbers become text: ids are often numbers in JSON)."""
        value = self.required(path) if required else self.get(path)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise RecordError([FieldError(path, "must be text")])
        return str(value)

    def mapping(self, path: str, *, required: bool = False) -> Mapping[str, Any] | None:
        value = self.required(path) if required else self.get(path)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise RecordError([FieldError(path, "must be an object")])
        return value

    def items(self, path: str) -> list[Any]:
        value = self.get(path)
        if value is None:
            return []
        if not isinstance(value, list):
            raise RecordError([FieldError(path, "must be a list")])
        return value


_TAG = re.compile(r"<[^>]*>")
_BREAK = re.compile(r"<\s*(br|/p)\s*/?>", re.IGNORECASE)


def plain_text(markup: str | None) -> str | None:
    """HTML a platform stores (Mastodon's ``content``) as the text a moderator reads: tags
    dropped, line breaks kept, entities decoded. Never rendered as HTML anywhere."""
    if markup is None:
        return None
    text = html.unescape(_TAG.sub("", _BREAK.sub("\n", markup)))
    return "\n".join(line.strip() for line in text.splitlines()).strip() or None


def host_of(uri: str) -> str | None:
    """The host of an http(s) URI, or None."""
    match = re.match(r"^https?://([^/:?#]+)", uri.strip(), re.IGNORECASE)
    return match.group(1).lower() if match else None
