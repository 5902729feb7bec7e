"""The import's fast path for plain report records agrees with the full contract.

``PlainReports.row`` must never accept a record the contract refuses, and where it accepts one it
must give the very row the full path stores. Both are checked on hand-made edge cases and on
generated records full of near-misses (space, numbers, control characters, odd times).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from tests.conftest import TEST_KEY

from reportguard.config import TimeBounds
from reportguard.ingest import writer
from reportguard.ingest.hashing import IdentifierHasher
from reportguard.ingest.importer import Importer
from reportguard.ingest.plain import PlainReports
from reportguard.ingest.validate import RecordError, validate_record
from reportguard.store.types import db_timestamp

CONTEXT = {
    "earliest": datetime(2000, 1, 1, tzinfo=UTC),
    "latest": datetime(2026, 6, 1, tzinfo=UTC),
}
HASHER = IdentifierHasher(TEST_KEY.encode())


def _importer() -> Importer:
    return Importer(sa.create_engine("sqlite://"), HASHER)


def _full_row(raw: dict[str, Any]) -> tuple[Any, ...] | None:
    """The row the full contract stores, or None where it refuses the record."""
    try:
        record = validate_record(raw, "auto", CONTEXT)
    except RecordError:
        return None
    if record.record_type != "report":
        return None
    return _importer().report_row(record, 7)  # type: ignore[arg-type]


def _fast_row(raw: dict[str, Any], dialect: str = "sqlite") -> tuple[Any, ...] | None:
    return PlainReports(HASHER, CONTEXT, dialect).row(raw, 7)


def _base(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "report_id": "r-1",
        "reporter_id": "u-1",
        "target_id": "u-2",
        "content_id": "c-9",
        "reason": "Hate Speech",
        "text": "keeps posting slurs",
        "created_at": "2026-03-01T10:20:30Z",
        "source": "in_app",
        "surface": "Direct-Link",
        "ip": "203.0.113.9",
        "device": "dev-01",
    }
    raw.update(changes)
    return {k: v for k, v in raw.items() if v is not ...}


def test_a_plain_record_gets_the_full_paths_row() -> None:
    raw = _base()
    fast = _fast_row(raw)
    assert fast is not None
    assert fast == _full_row(raw)
    assert fast[4] == "hate_speech"
    assert fast[9] == "direct_link"
    assert fast[6] == "2026-03-01 10:20:30.000000"


@pytest.mark.parametrize(
    "changes",
    [
        {"report_id": "  r-1 ", "text": "  kept as written  "},
        {"reporter_id": 12345, "target_id": 678, "device": 42},
        {"content_id": "", "text": "", "source": "", "surface": "", "ip": "", "device": ""},
        {"content_id": None, "text": None, "ip": None, "device": None},
        {"content_id": ...},
        {"created_at": "2026-03-01T10:20:30.5Z"},
        {"created_at": "2026-03-01T10:20:30.123456+00:00"},
        {"created_at": "2026-03-01 10:20:30"},  # as SQL and CSV exports write it: UTC
        {"created_at": "2026-03-01T10:20:30.25"},
        {"ip": "::ffff:10.0.0.1"},
        {"ip": "2001:DB8::1"},
        {"ip": " 10.0.0.1 "},
        {"reason": "  spam  "},
        {"unknown_column": [1, 2], "another": {"x": 1}},
        {"reporter_id": "same", "target_id": "same"},
    ],
)
def test_edge_cases_the_fast_path_takes_agree_with_the_contract(changes: dict[str, Any]) -> None:
    raw = _base(**changes)
    fast = _fast_row(raw)
    assert fast is not None, "a plain record must take the fast path"
    assert fast == _full_row(raw)


@pytest.mark.parametrize(
    "changes",
    [
        {"report_id": ""},  # required and empty
        {"report_id": "   "},
        {"reporter_id": 1.5},
        {"target_id": True},
        {"target_id": "x" * 201},
        {"reason": 5},
        {"reason": "r" * 65},
        {"text": "t" * 20_001},
        {"created_at": "2026-02-30T00:00:00Z"},
        {"created_at": "1999-12-31T23:59:59Z"},  # before the floor
        {"created_at": "2030-01-01T00:00:00Z"},  # in the future
        {"created_at": "1772360430"},
        {"created_at": "2026-03-01T10:20:30+02:00"},
        {"created_at": "2026-03-01t10:20:30z"},
        {"created_at": "2026-03-01T10:20"},
        {"surface": "timeline"},
        {"ip": "999.1.1.1"},
        {"ip": "not-an-ip"},
        {"device": 3.5},
        {"text": "bad \x00 byte"},
        {"reporter_id": "u\x1f1"},
        {"target_id": "\u00a0u-2"},  # a no-break space at the edge
        {"surface": "feed\x0b"},  # split() would swallow it: checked as it came
        {"surface": "direct\x1flink"},
        {"reporter_id": 10**201},  # a whole number too long for an id
        {"device": 10**501},
        {"outcome": "upheld", "resolved_at": "2026-03-02T00:00:00Z"},
        {"reporter_kind": "server"},
        {"type": "report"},
        {"followers": 3},  # an account's field in a report
    ],
)
def test_records_off_the_plain_shape_take_the_full_path(changes: dict[str, Any]) -> None:
    assert _fast_row(_base(**changes)) is None


def test_postgresql_gets_the_time_itself() -> None:
    raw = _base(created_at="2026-03-01T10:20:30.25+00:00")
    fast = _fast_row(raw, "postgresql")
    assert fast is not None
    full = validate_record(raw, "auto", CONTEXT)
    assert fast[6] == db_timestamp(full.created_at, "postgresql")  # type: ignore[union-attr]


_TEXTS = st.one_of(
    st.sampled_from(
        ["", " ", "a", " a ", "spam", "Hate-Speech", "\u00a0x", "x\u3000", "\t", "x\n"]
    ),
    st.text(max_size=12),
    st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=8),
)
_VALUES = st.one_of(
    st.none(),
    _TEXTS,
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
)
_TIMES = st.one_of(
    st.datetimes(
        min_value=datetime(1995, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)
    ).map(lambda t: t.isoformat().replace("+00:00", "Z")),
    st.datetimes(min_value=datetime(1995, 1, 1), max_value=datetime(2027, 1, 1)).map(
        lambda t: t.isoformat(sep=" ")
    ),
    st.sampled_from(
        ["2026-03-01T10:20:30Z", "2026-02-29T00:00:00Z", "2024-02-29T00:00:00Z", "1772360430"]
    ),
    _VALUES,
)
_IPS = st.one_of(
    st.ip_addresses().map(str),
    st.sampled_from(["::ffff:10.0.0.1", "010.0.0.1", "1.2.3", " 10.0.0.1", "fe80::1%eth0"]),
    _VALUES,
)
_SURFACES = st.one_of(
    st.sampled_from(["feed", "Profile", "direct-link", "Direct Link", "x", "feed\x0b", "a\x1fb"]),
    _VALUES,
)


@st.composite
def _records(draw: st.DrawFn) -> dict[str, Any]:
    fields: dict[str, st.SearchStrategy[Any]] = {
        "report_id": _VALUES,
        "reporter_id": _VALUES,
        "target_id": _VALUES,
        "content_id": _VALUES,
        "reason": _VALUES,
        "text": _VALUES,
        "created_at": _TIMES,
        "source": _VALUES,
        "surface": _SURFACES,
        "referrer": _VALUES,
        "ip": _IPS,
        "device": _VALUES,
        "outcome": _VALUES,
        "extra": _VALUES,
    }
    raw: dict[str, Any] = {}
    for name, values in fields.items():
        # Mostly a good value, so that near-misses sit beside otherwise valid records.
        if draw(st.integers(0, 3)) == 0:
            value = draw(values)
            if value is not None or draw(st.booleans()):
                raw[name] = value
        elif name in _base():
            raw[name] = _base()[name]
    return raw


@settings(max_examples=600, deadline=None)
@given(_records())
def test_the_fast_path_never_disagrees_with_the_contract(raw: dict[str, Any]) -> None:
    fast = _fast_row(raw)
    if fast is not None:
        assert fast == _full_row(raw)


def _stored(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT report_id, reporter_id, target_id, content_id, reason, text, created_at,"
                " source, surface, ip_hash, device_hash FROM reports ORDER BY report_id"
            )
        )
        return [tuple(r) for r in rows]


def _mixed_file(path: Path) -> Path:
    """Plain records and every kind of other record, as one export holds them."""
    lines = [
        _base(report_id=f"p-{i}", reporter_id=f"u-{i % 7}", target_id="t-1", ip=f"10.0.0.{i % 3}")
        for i in range(30)
    ]
    lines += [
        _base(report_id="n-1", created_at="1772360430"),  # epoch seconds: the full path
        _base(report_id="n-2", outcome="upheld", resolved_at="2026-03-05T00:00:00Z"),
        _base(report_id="n-3", reason=""),  # refused
        _base(report_id="n-4", reporter_id="x", target_id="x"),  # a self-report
        _base(report_id="n-5", note="an export's own column"),
        {"account_id": "u-1", "created_at": "2025-01-01T00:00:00Z"},
        {**lines[3], "target_id": "someone-else"},  # a reused id: a conflict
        lines[4],  # sent again: a duplicate
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


@pytest.mark.parametrize("batch_size", [8, 64])
def test_an_import_stores_and_counts_the_same_with_or_without_the_fast_path(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch_size: int
) -> None:
    """Also COPY against one insert per row on PostgreSQL: with 64, the duplicate and the
    conflict sit in the batch of the reports they repeat."""
    export = _mixed_file(tmp_path / "reports.jsonl")
    bounds = TimeBounds(earliest=datetime(2000, 1, 1, tzinfo=UTC), skew=timedelta(days=1))
    monkeypatch.setattr(writer, "COPY_MIN_ROWS", 1)
    fast = Importer(engine, HASHER, bounds=bounds, batch_size=batch_size).import_file(export)
    fast_rows = _stored(engine)
    fast_rejects = (tmp_path / "reports.jsonl.rejects.jsonl").read_text()

    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM reports"))
    monkeypatch.setattr(Importer, "_plain_reports", lambda self, context: None)
    monkeypatch.setattr(writer, "COPY_MIN_ROWS", 10**9)
    full = Importer(engine, HASHER, bounds=bounds, batch_size=batch_size).import_file(export)

    assert fast_rows == _stored(engine)
    assert len(fast_rows) == 30 + 4
    counts = ("records", "accepted", "duplicates", "accounts", "rejected", "self_reports")
    assert [getattr(fast, c) for c in (*counts, "conflicts")] == [
        getattr(full, c) for c in (*counts, "conflicts")
    ]
    assert (fast.rejected, fast.conflicts, fast.duplicates, fast.self_reports) == (2, 1, 1, 1)
    assert fast.ignored_fields == full.ignored_fields == {"note": 1}
    assert fast_rejects == (tmp_path / "reports.jsonl.rejects.jsonl").read_text()
    assert "someone-else" in fast_rejects
    assert "[redacted]" in fast_rejects
