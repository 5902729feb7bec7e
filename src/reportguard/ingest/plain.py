"""Plain report records, checked without building a model: the import's fast path.

Nearly every line of a large export has the same plain shape: text ids, a reason, a UTC time in
the form every exporter writes, an address. Building a pydantic model for each such line cost
more than storing it. :meth:`PlainReports.row` checks exactly those lines by the contract's own
rules and turns them into the row the full path would store; for anything else (a number where text
belongs, an unusual time, a bad value, an outcome) it answers ``None`` and the record goes through
the full contract (``validate.validate_record``), which names every bad field. So the fast path
never accepts what the contract refuses, and never words an error itself.
tests/test_plain_records.py holds the two paths together, on hand-made and generated records.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from reportguard.ingest.contract import (
    KNOWN_FIELDS,
    MAX_TEXT,
    REPORT_FIELDS,
    SURFACES,
)
from reportguard.ingest.hashing import CACHE_SIZE, IdentifierHasher, normalise_ip
from reportguard.ingest.validate import has_control
from reportguard.store.types import db_timestamp

# The report fields this path checks itself; a record with any other contract field (an outcome,
# a reporter kind, an account's field) takes the full path.
PLAIN_FIELDS = frozenset(
    {
        "report_id", "reporter_id", "target_id", "content_id", "reason", "text", "created_at",
        "source", "surface", "referrer", "ip", "device",
    }
)  # fmt: skip
_IDS = ("report_id", "reporter_id", "target_id")
# The time forms taken here: ISO 8601 with "T" (JSON exporters) or a space (SQL and CSV
# exports), a fraction allowed, and a zero offset or none (the contract reads none as UTC).
_TIME = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.(\d{1,6}))?(Z|\+00:00)?")
_EDGE_SPACE = " \t\n\r"


class Shape:
    """What the keys of a record allow, worked out once per distinct key order."""

    __slots__ = ("ignored", "plain")

    def __init__(self, keys: tuple[str, ...]) -> None:
        known = set(keys) & KNOWN_FIELDS
        self.plain = "report_id" in known and known <= PLAIN_FIELDS
        # Fields outside the contract, counted by the import as ignored.
        self.ignored = tuple(k for k in keys if k not in REPORT_FIELDS)


class PlainReports:
    """Rows for plain report records, in ``writer.REPORT_COLUMNS`` order, for one import."""

    def __init__(
        self, hasher: IdentifierHasher, context: Mapping[str, datetime], dialect_name: str
    ) -> None:
        self.hasher = hasher
        self.earliest = context["earliest"]
        self.latest = context["latest"]
        self.dialect_name = dialect_name
        self._shapes: dict[tuple[str, ...], Shape] = {}
        # Values seen before, as stored: reasons repeat, and so do proxy addresses and devices.
        self._reasons: dict[str, str] = {}
        self._ips: dict[str, str] = {}
        self._devices: dict[str, str] = {}

    def shape(self, raw: Mapping[str, Any]) -> Shape:
        keys = tuple(raw)
        found = self._shapes.get(keys)
        if found is None:
            found = self._shapes[keys] = Shape(keys)
        return found

    def row(
        self, raw: Mapping[str, Any], run_id: int, shape: Shape | None = None
    ) -> tuple[Any, ...] | None:
        """The stored row of a plain report record, or None: then the full contract decides.
        ``shape`` is :meth:`shape` of ``raw`` when the caller has it already."""
        if not (shape or self.shape(raw)).plain:
            return None
        try:
            return self._row(raw, run_id)
        except _NotPlainError:
            return None

    def _row(self, raw: Mapping[str, Any], run_id: int) -> tuple[Any, ...]:
        get = raw.get
        report_id = _id(get("report_id"))
        reporter_id = _id(get("reporter_id"))
        target_id = _id(get("target_id"))
        content_id = get("content_id")
        content_id = None if content_id is None or content_id == "" else _id(content_id)
        reason = self._reason(get("reason"))
        stored_time = self._time(get("created_at"))
        text = _text(get("text"), MAX_TEXT)
        source = _text(get("source"), 64)
        referrer = _text(get("referrer"), 500)
        surface = _text(get("surface"), 64)
        ip = _text(get("ip"), None)
        device = get("device")
        device = _whole(device, 500) if type(device) is int else _text(device, 500)
        # Every value as it came (split() below would swallow some control characters).
        every = (report_id, reporter_id, target_id, content_id, reason, text, source, referrer)
        if has_control((*every, surface, ip, device)):
            raise _NotPlainError
        if surface is not None:
            surface = "_".join(surface.lower().replace("-", " ").split())
            if surface not in SURFACES:
                raise _NotPlainError
        return (
            report_id,
            reporter_id,
            target_id,
            content_id,
            self._reasons[reason],
            text,
            stored_time,
            source,
            referrer,
            surface,
            None if ip is None else self._ip_hash(ip),
            None if device is None else self._device_hash(device),
            run_id,
            None,  # outcome, resolved_at, reporter_kind: records with them take the full path
            None,
            None,
        )

    def _reason(self, value: Any) -> str:
        """The reason as given (checked); ``_reasons`` holds its stored form."""
        if type(value) is not str:
            raise _NotPlainError
        if value in self._reasons:
            return value
        if len(self._reasons) >= CACHE_SIZE:
            self._reasons.clear()
        self._reasons[value] = "_".join(_stripped(value, 64).lower().split())
        return value

    def _time(self, value: Any) -> datetime | str:
        """The stored form of a time in the forms taken here, within the import's bounds."""
        if type(value) is not str or not (found := _TIME.fullmatch(value)):
            raise _NotPlainError
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise _NotPlainError from None
        if found.group(2) is None:
            parsed = parsed.replace(tzinfo=UTC)
        if parsed < self.earliest or parsed > self.latest:
            raise _NotPlainError
        if self.dialect_name != "sqlite":
            return db_timestamp(parsed.astimezone(UTC), self.dialect_name)
        # db_timestamp's text, cut from the input: the offset is zero.
        if len(value) == 20:  # no fraction, "Z": the form nearly every exporter writes
            return value[:10] + " " + value[11:19] + ".000000"
        return f"{value[:10]} {value[11:19]}.{(found.group(1) or '').ljust(6, '0')}"

    def _ip_hash(self, value: str) -> str:
        hashed = self._ips.get(value)
        if hashed is None:
            try:
                hashed = self.hasher.hmac("ip:" + normalise_ip(value))
            except ValueError:
                raise _NotPlainError from None
            if len(self._ips) >= CACHE_SIZE:
                self._ips.clear()
            self._ips[value] = hashed
        return hashed

    def _device_hash(self, value: str) -> str:
        hashed = self._devices.get(value)
        if hashed is None:
            hashed = self.hasher.hmac("device:" + value.strip().lower())  # as hasher.device
            if len(self._devices) >= CACHE_SIZE:
                self._devices.clear()
            self._devices[value] = hashed
        return hashed


class _NotPlainError(Exception):
    """This record is not plain: the full contract decides (and names what is wrong)."""


def _id(value: Any) -> str:
    """An id as the contract stores it: a whole number as its text, surrounding space cut."""
    if type(value) is str:
        # The common case at once: ASCII with no space (nor anything below it) at either end.
        if value and value[0] > " " and value[-1] > " " and len(value) <= 200 and value.isascii():
            return value
        return _stripped(value, 200)
    if type(value) is int:
        return _whole(value, 200)
    raise _NotPlainError


def _whole(value: int, limit: int) -> str:
    """A whole number as its text. One of 3 * ``limit`` bits or fewer has at most 0.91 *
    ``limit`` digits, so its text fits; a longer one goes the full way (and ``str`` refuses
    numbers of over 4,300 digits)."""
    if value.bit_length() > 3 * limit:
        raise _NotPlainError
    return str(value)


def _stripped(value: str, limit: int) -> str:
    """Text with surrounding space cut, 1 to ``limit`` characters. Other space at either end
    (a no-break space, say) takes the full path: the two paths' ideas of space may differ there."""
    value = value.strip(_EDGE_SPACE)
    if not value or len(value) > limit:
        raise _NotPlainError
    if value[0].isspace() or value[-1].isspace() or not value[0].isprintable():
        raise _NotPlainError
    return value


def _text(value: Any, limit: int | None) -> str | None:
    """An optional text field as it is: None when absent or empty."""
    if value is None or value == "":
        return None
    if type(value) is not str or (limit is not None and len(value) > limit):
        raise _NotPlainError
    return value
