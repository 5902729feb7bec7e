"""A foreign header, found before the import rather than row by row.

An export whose columns are not named as the contract names them would otherwise reject every
record with the same missing field: a rejects file larger than the input, and no word of the fix.
Reading the first records is enough to see it; the message names the columns seen, the required
fields missing and the ``--map`` options that would fix it, guessing from close column names.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reportguard.errors import InputFileError
from reportguard.ingest.contract import REQUIRED_FIELDS

# Words platforms use for the contract's required fields, lower-case with separators removed.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "report_id": ("id", "reportid", "flagid", "ticketid", "caseid", "complaintid", "reportkey"),
    "reporter_id": (
        "reporter", "flagger", "flaggerid", "reportedby", "userid", "complainant", "author",
        "reportinguser", "reportinguserid", "fromuser", "accountid", "flaggeruserid",
    ),
    "target_id": (
        "target", "reported", "reporteduser", "reporteduserid", "reportedaccount", "targetuser",
        "targetaccount", "targetaccountid", "subject", "subjectid", "offender", "posterid",
    ),
    "reason": ("category", "reasontype", "flagtype", "type", "kind", "violation", "label"),
    "created_at": (
        "timestamp", "time", "date", "createdat", "created", "reportedat", "filedat", "datetime",
        "ts", "when",
    ),
    "account_id": ("id", "userid", "user", "accountid", "uid"),
    "content_id": ("id", "postid", "contentid", "itemid", "statusid"),
}  # fmt: skip


class HeaderMismatchError(InputFileError):
    """The file's records lack a required field altogether; nothing was imported."""


@dataclass(frozen=True)
class Diagnosis:
    kind: str
    columns: list[str]
    missing: list[str]
    suggestions: dict[str, str]  # contract field -> the column that probably holds it
    sample: int

    @property
    def message(self) -> str:
        text = (
            f"none of the first {self.sample:,} records has "
            f"{_and(self.missing)} (required for a {self.kind}). "
            f"Columns seen: {', '.join(self.columns) or '(none)'}."
        )
        if self.suggestions:
            maps = " ".join(f"--map {column}={name}" for name, column in self.suggestions.items())
            text += f" Try: {maps}"
            rest = [m for m in self.missing if m not in self.suggestions]
            if rest:
                text += f" (and name a column for {_and(rest)})"
            text += "."
        else:
            text += f" Rename the columns that hold them with --map COLUMN={self.missing[0]}."
        return text + " Nothing was imported."

    def as_line(self) -> dict[str, Any]:
        """The rejects file's one line for the whole file."""
        return {
            "location": "header",
            "errors": [
                {"field": name, "message": "required field is missing from every record read"}
                for name in self.missing
            ],
            "columns": self.columns,
            "suggested_map": {column: name for name, column in self.suggestions.items()},
            "message": self.message,
            "record": None,
        }


def diagnose_header(
    records: Sequence[Mapping[str, Any]],
    *,
    field_map: Mapping[str, str] | None = None,
    kind: str = "auto",
) -> Diagnosis | None:
    """What required fields no record of ``records`` has (after ``field_map``), or None."""
    if not records:
        return None
    mapping = dict(field_map or {})
    renamed = [{mapping.get(k, k): v for k, v in r.items()} for r in records]
    which = kind if kind != "auto" else _likely_kind(renamed)
    missing = [
        name for name in REQUIRED_FIELDS[which] if not any(_present(r.get(name)) for r in renamed)
    ]
    if not missing:
        return None
    columns = list(dict.fromkeys(k for r in records for k in r))
    free = [c for c in columns if c not in mapping and c not in REQUIRED_FIELDS[which]]
    suggestions: dict[str, str] = {}
    for name in missing:
        column = _closest(name, [c for c in free if c not in suggestions.values()])
        if column is not None:
            suggestions[name] = column
    return Diagnosis(which, columns, missing, suggestions, len(records))


def _likely_kind(records: Sequence[Mapping[str, Any]]) -> str:
    for name, field in (("report", "report_id"), ("content", "content_id")):
        if any(_present(r.get(field)) for r in records):
            return name
    if any(_present(r.get("account_id")) for r in records):
        return "account"
    return "report"


def _closest(name: str, columns: list[str]) -> str | None:
    """The column most likely to hold ``name``: a known synonym, else a close spelling."""
    squashed = {_squash(c): c for c in columns}
    for word in (_squash(name), *SYNONYMS.get(name, ())):
        if word in squashed:
            return squashed[word]
    close = difflib.get_close_matches(_squash(name), list(squashed), n=1, cutoff=0.6)
    return squashed[close[0]] if close else None


def _squash(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _and(names: Sequence[str]) -> str:
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]
