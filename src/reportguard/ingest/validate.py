"""Turn raw records into validated ones, or into errors that name the field and say what is wrong.

Messages are written for the person fixing an export, e.g. ``created_at: not a timestamp``.
Values of sensitive fields are never repeated in a message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

from reportguard.ingest.contract import (
    ACCOUNT_FIELDS,
    CONTENT_FIELDS,
    KNOWN_FIELDS,
    AccountSnapshot,
    ContentRecord,
    Record,
    ReportEvent,
)

Kind = Literal["auto", "report", "account", "content"]
RecordType = Literal["report", "account", "content"]
RECORD_TYPES = ("report", "account", "content")


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class RecordError(Exception):
    """A record that cannot be accepted, with every problem found in it."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


_TIMESTAMP_HINT = "not a timestamp (use ISO 8601 such as 2026-11-24T20:31:07Z, or epoch seconds)"

_MESSAGES = {
    "missing": "required field is missing",
    "string_too_short": "must not be empty",
    "datetime_parsing": _TIMESTAMP_HINT,
    "datetime_from_date_parsing": _TIMESTAMP_HINT,
    "datetime_type": _TIMESTAMP_HINT,
    "datetime_object_invalid": _TIMESTAMP_HINT,
    "int_parsing": "not a whole number",
    "int_type": "not a whole number",
    "int_from_float": "not a whole number",
    "bool_parsing": "not true or false",
    "bool_type": "not true or false",
    "string_type": "must be text",
    "literal_error": "unknown record type",
    # the only pattern in the contract: an account's language
    "string_pattern_mismatch": "not a language tag (like en, de or pt-BR)",
}


def _message(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    ctx = error.get("ctx") or {}
    if kind == "string_too_long":
        return f"longer than {ctx.get('max_length')} characters"
    if kind == "greater_than_equal":
        return f"must be at least {ctx.get('ge')}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return str(error["msg"])


def record_kind(raw: Mapping[str, Any], kind: Kind = "auto") -> RecordType:
    """Record type: an explicit ``record_type``/``type`` field, else which id field is present
    (a content record names its poster in ``account_id``, so ``content_id`` is asked first)."""
    declared = raw.get("record_type", raw.get("type"))
    if isinstance(declared, str) and declared.strip():
        value = declared.strip().lower()
        if value in RECORD_TYPES:
            return value  # type: ignore[return-value]
        raise RecordError([FieldError("record_type", "must be 'report', 'account' or 'content'")])
    if kind != "auto":
        return kind
    if _present(raw.get("report_id")):
        return "report"
    if _present(raw.get("content_id")):
        return "content"
    if _present(raw.get("account_id")):
        return "account"
    raise RecordError(
        [FieldError("report_id", "required field is missing (or account_id for an account)")]
    )


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


# C0 control characters other than tab, line feed and carriage return. A NUL cuts a string short
# on SQLite and is refused by PostgreSQL, and none of them belongs in an id, a reason or a text.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def control_errors(raw: Mapping[str, Any], fields: frozenset[str]) -> list[FieldError]:
    """A contract field whose text holds a control character, named (the value is not shown)."""
    errors = []
    for name, value in raw.items():
        if name in fields and isinstance(value, str) and (found := _CONTROL.search(value)):
            errors.append(
                FieldError(
                    name,
                    f"contains the control character U+{ord(found.group()):04X} "
                    f"at position {found.start() + 1}; remove it",
                )
            )
    return errors


def has_control(values: Iterable[str | None]) -> bool:
    """Whether any of these texts holds a control character (one search for a whole record)."""
    return _CONTROL.search("\t".join(filter(None, values))) is not None


def validate_record(
    raw: Mapping[str, Any], kind: Kind = "auto", context: Mapping[str, Any] | None = None
) -> Record:
    """Validate one raw record; raises RecordError naming each bad field.

    ``context`` is :meth:`TimeBounds.context` (default: the default bounds, now).
    """
    which = record_kind(raw, kind)
    controls = control_errors(raw, KNOWN_FIELDS)
    if controls:
        raise RecordError(controls)
    data = raw
    if "type" in raw or "record_type" in raw:
        data = {k: v for k, v in raw.items() if k not in ("type", "record_type")}
    try:
        if which == "report":
            return ReportEvent.model_validate(data, context=context)
        if which == "content":
            return ContentRecord.model_validate(
                {k: v for k, v in data.items() if k in CONTENT_FIELDS}, context=context
            )
        return AccountSnapshot.model_validate(
            {k: v for k, v in data.items() if k in ACCOUNT_FIELDS}, context=context
        )
    except ValidationError as exc:
        raise RecordError(field_errors(exc, raw)) from None


def field_errors(exc: ValidationError, raw: Mapping[str, Any]) -> list[FieldError]:
    """Pydantic's errors as messages for the person fixing the export, one per bad field."""
    errors = []
    for e in exc.errors(include_url=False, include_input=False):
        name = ".".join(str(p) for p in e["loc"])
        message = _message(e)
        if e["type"] == "missing" and raw.get(name) == "":
            message = "must not be empty"
        if not name and ": " in message:  # a rule across fields names its field first
            name, message = message.split(": ", 1)
        errors.append(FieldError(name, message))
    return errors
