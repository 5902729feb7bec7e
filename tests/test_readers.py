"""Readers find every record, number lines as an editor does, and refuse what they can't read."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.helpers import report, write_jsonl

from reportguard.errors import InputFileError
from reportguard.ingest.readers import BadLine, Reader, detect_format


def test_jsonl_locations_count_blank_lines(tmp_path: Path) -> None:
    records = [report(1), "", report(2), "     \t ", "{broken", "[1, 2]"]
    items = list(Reader(write_jsonl(tmp_path / "r.jsonl", records)))
    assert [loc for loc, _ in items] == ["line 1", "line 3", "line 5", "line 6"]
    assert items[1][1]["report_id"] == "r-2"  # type: ignore[index]
    assert isinstance(items[2][1], BadLine)
    assert str(items[2][1]).startswith("not valid JSON")
    assert str(items[3][1]) == "not a JSON object"


def test_a_truncated_json_line_names_the_column_it_stops_at(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    cut = '{"report_id": "r-2", "reporter_id": "u-1", "tar'
    path.write_text(json.dumps(report(1)) + "\n" + cut)  # the last line cut off mid-record
    items = list(Reader(path))
    assert items[1][0] == "line 2"
    # 1-based, as editors count: the data ends where column len(cut) + 1 should have been
    assert str(items[1][1]) == f"not valid JSON (unexpected end of data at column {len(cut) + 1})"


def test_gzip_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl.gz"
    with gzip.open(path, "wt") as handle:
        for n in range(3):
            handle.write(json.dumps(report(n)) + "\n")
    assert [rec["report_id"] for _, rec in Reader(path)] == ["r-0", "r-1", "r-2"]  # type: ignore[index]


def test_csv_with_quoted_newlines_keeps_editor_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["report_id", "reporter_id", "target_id", "reason", "created_at", "text"])
        writer.writerow(["r-1", "u-1", "t-1", "spam", "2026-11-01T00:00:00Z", "two\nlines"])
        writer.writerow(["r-2", "u-2", "t-1", "spam", "2026-11-01T00:00:00Z", ""])
        writer.writerow(["r-3", "u-3"])
    items = list(Reader(path))
    assert [loc for loc, _ in items] == ["line 3", "line 4", "line 5"]
    assert items[0][1]["text"] == "two\nlines"  # type: ignore[index]
    assert str(items[2][1]) == "has 2 columns, the header has 6"


def test_csv_with_a_repeated_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("report_id,reason,reason\nr-1,spam,spam\n")
    with pytest.raises(InputFileError, match="names a column twice"):
        list(Reader(path))


def test_parquet_rows(tmp_path: Path) -> None:
    path = tmp_path / "r.parquet"
    pq.write_table(pa.Table.from_pylist([report(n) for n in range(5)]), path)
    reader = Reader(path)
    assert reader.total == 5
    items = list(reader)
    assert [loc for loc, _ in items] == [f"row {n}" for n in range(1, 6)]
    assert reader.done == 5


def test_corrupt_parquet_is_a_file_error(tmp_path: Path) -> None:
    path = tmp_path / "r.parquet"
    path.write_bytes(b"not parquet at all")
    with pytest.raises(InputFileError, match="not a readable Parquet file"):
        Reader(path)


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("a.jsonl", "jsonl"), ("a.NDJSON", "jsonl"), ("a.csv.gz", "csv"), ("a.pq", "parquet")],
)
def test_detect_format(name: str, fmt: str) -> None:
    assert detect_format(Path(name)) == fmt


@pytest.mark.parametrize("name", ["a.txt", "a", "a.parquet.gz"])
def test_unknown_formats_are_refused(name: str) -> None:
    with pytest.raises(InputFileError):
        detect_format(Path(name))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="no such file"):
        Reader(tmp_path / "nope.jsonl")
