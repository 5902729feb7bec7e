"""Stream records out of export files without loading them whole.

Each reader yields ``(location, record)`` where the location is what an error message shows:
``line 1042`` for text formats, ``row 1042`` for Parquet. A reader also reports progress in its
own unit (bytes or rows) so a progress bar can follow it.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from reportguard.errors import InputFileError

FORMATS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}


@dataclass(frozen=True)
class BadLine:
    """A line that is not a record at all (broken JSON, wrong CSV shape)."""

    message: str

    def __str__(self) -> str:
        return self.message


def detect_format(path: Path) -> str:
    """Format from the file name; ``.gz`` is allowed on the text formats."""
    suffixes = [s.lower() for s in path.suffixes]
    compressed = bool(suffixes) and suffixes[-1] == ".gz"
    if compressed:
        suffixes = suffixes[:-1]
    fmt = FORMATS.get(suffixes[-1]) if suffixes else None
    if fmt is None:
        raise InputFileError(
            f"{path}: unknown file type; use .jsonl, .ndjson, .csv or .parquet (optionally .gz)"
        )
    if compressed and fmt == "parquet":
        raise InputFileError(f"{path}: Parquet is compressed internally; do not gzip it")
    return fmt


@dataclass
class Reader:
    """A file of records; iterate it for ``(location, record or BadLine)``."""

    path: Path
    fmt: str = ""
    whole_json: bool = False  # also read a JSON array (an API page) or one pretty-printed object
    total: int = 0
    done: int = 0
    _raw: IO[bytes] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.path.is_file():
            raise InputFileError(f"{self.path}: no such file")
        self.fmt = self.fmt or detect_format(self.path)
        if self.fmt == "parquet":
            self.total = _parquet_rows(self.path)
        else:
            self.total = self.path.stat().st_size

    def __iter__(self) -> Iterator[tuple[str, dict[str, Any] | BadLine]]:
        if self.fmt == "parquet":
            yield from self._parquet()
            return
        with self.path.open("rb") as raw:
            self._raw = raw
            stream: IO[bytes] = (
                gzip.GzipFile(fileobj=raw) if self.path.suffix == ".gz" else raw  # type: ignore[assignment]
            )
            try:
                if self.fmt == "jsonl" and self.whole_json and _starts_whole(raw):
                    yield from self._whole(stream)
                elif self.fmt == "jsonl":
                    yield from self._jsonl(stream)
                else:
                    yield from self._csv(stream)
            except (OSError, EOFError, UnicodeDecodeError) as exc:
                raise InputFileError(
                    f"{self.path}: cannot read past byte {raw.tell()}: {exc}"
                ) from exc
            finally:
                self.done = self.total

    def _tick(self) -> None:
        if self._raw is not None:
            self.done = self._raw.tell()

    def _jsonl(self, stream: IO[bytes]) -> Iterator[tuple[str, dict[str, Any] | BadLine]]:
        for number, line in enumerate(stream, start=1):
            if number % 1024 == 0:
                self._tick()
            if len(line) < 3 and not line.strip():
                continue
            location = f"line {number}"
            try:
                value = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                if not line.strip():
                    continue  # a blank line of spaces: not a record
                yield location, BadLine(f"not valid JSON ({_short_json_error(exc)})")
                continue
            if not isinstance(value, dict):
                yield location, BadLine("not a JSON object")
                continue
            yield location, value

    def _whole(self, stream: IO[bytes]) -> Iterator[tuple[str, dict[str, Any] | BadLine]]:
        """A JSON document: an array of records (``item 1``, ...) or a single record."""
        try:
            value = orjson.loads(stream.read())
        except orjson.JSONDecodeError as exc:
            yield "document", BadLine(f"not valid JSON ({_short_json_error(exc)})")
            return
        items = value if isinstance(value, list) else [value]
        for number, item in enumerate(items, start=1):
            location = f"item {number}"
            if isinstance(item, dict):
                yield location, item
            else:
                yield location, BadLine("not a JSON object")

    def _csv(self, stream: IO[bytes]) -> Iterator[tuple[str, dict[str, Any] | BadLine]]:
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
        reader = csv.reader(text)
        try:
            header = next(reader)
        except StopIteration:
            return
        header = [h.strip() for h in header]
        if len(set(header)) != len(header):
            raise InputFileError(f"{self.path}: the header names a column twice: {header}")
        width = len(header)
        count = 0
        for row in reader:
            count += 1
            if count % 1024 == 0:
                self._tick()
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            location = f"line {reader.line_num}"
            if len(row) != width:
                yield location, BadLine(f"has {len(row)} columns, the header has {width}")
                continue
            yield location, dict(zip(header, row, strict=True))

    def _parquet(self) -> Iterator[tuple[str, dict[str, Any] | BadLine]]:
        import pyarrow.parquet as pq

        try:
            parquet = pq.ParquetFile(self.path)
            number = 0
            for batch in parquet.iter_batches(batch_size=8192):
                for row in batch.to_pylist():
                    number += 1
                    yield f"row {number}", row
                self.done = number
        except OSError as exc:
            raise InputFileError(f"{self.path}: not a readable Parquet file: {exc}") from exc


def _starts_whole(raw: IO[bytes]) -> bool:
    """True when the file is one JSON document rather than JSON Lines: it opens with ``[``, or
    its first line is not a whole object (a pretty-printed one). The stream is left at its start."""
    head = raw.read(65_536)
    raw.seek(0)
    if head[:2] == b"\x1f\x8b":
        with gzip.GzipFile(fileobj=raw) as unzipped:
            head = unzipped.read(65_536)
        raw.seek(0)
    text = head.lstrip()
    if text.startswith(b"["):
        return True
    first = text.split(b"\n", 1)[0]
    try:
        orjson.loads(first)
    except orjson.JSONDecodeError:
        return text.startswith(b"{")
    return False


def _parquet_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    try:
        return int(pq.ParquetFile(path).metadata.num_rows)
    except Exception as exc:
        raise InputFileError(f"{path}: not a readable Parquet file: {exc}") from exc


def _short_json_error(exc: orjson.JSONDecodeError) -> str:
    if "utf-8" in str(exc).lower():
        return "not UTF-8 text"
    return f"{exc.msg} at column {exc.colno}"
