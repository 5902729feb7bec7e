"""Stream records out of export files without loading them whole.

Each reader yields ``(location, record)`` where the location is what an error message shows:
``line 1042`` for text formats, ``row 1042`` for Parquet. A reader also reports progress in its
own unit (bytes or rows) so a progress bar can follow it.

A broken record is named and passed over, never allowed to take its neighbours with it: a line
that is not UTF-8, a CSV field over the size limit, and a CSV quote that is never closed (which
would otherwise swallow the records after it into one text) each become a :class:`BadLine`, and
reading goes on with the next line. Only a file that cannot be read further at all (a damaged
gzip stream, a disk error) stops the reader, with :class:`ReadError` naming the line it reached.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import zlib
from collections import deque
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


# The contract's longest field (a report's text) is 20,000 characters: a CSV field of more is
# broken, or a quote left open, and is refused rather than read into memory.
CSV_FIELD_LIMIT = 131_072
# What ``errors="surrogateescape"`` makes of a byte that is not UTF-8.
_UNDECODABLE = re.compile("[\udc80-\udcff]")


class ReadError(InputFileError):
    """The file cannot be read past ``location``: the records before it were read."""

    def __init__(self, message: str, *, location: str) -> None:
        super().__init__(message)
        self.location = location


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
    _line: int = field(default=0, repr=False)  # the last line read whole

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
            self._line = 0
            try:
                if self.fmt == "jsonl" and self.whole_json and _starts_whole(raw):
                    yield from self._whole(stream)
                elif self.fmt == "jsonl":
                    yield from self._jsonl(stream)
                else:
                    yield from self._csv(stream)
            except (OSError, EOFError, UnicodeDecodeError, zlib.error) as exc:
                where = f"line {self._line + 1:,}"
                raise ReadError(
                    f"{self.path}: cannot read {where} (byte {raw.tell():,} of the file): {exc}",
                    location=f"line {self._line + 1}",
                ) from exc
            finally:
                self.done = self.total

    def _tick(self) -> None:
        if self._raw is not None:
            self.done = self._raw.tell()

    def _jsonl(self, stream: IO[bytes]) -> Iterator[tuple[str, dict[str, Any] | BadLine]]:
        for number, line in enumerate(stream, start=1):
            self._line = number
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
        # A byte that is not UTF-8 becomes a stand-in character, so that one bad byte costs its
        # own record (named below), not the rest of the file.
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="", errors="surrogateescape")
        lines = _Lines(text)
        # strict: a quote left open is an error at the end of the file or at the next quote,
        # where the lenient reader would return the records it swallowed as one text.
        reader = csv.reader(iter(lines), strict=True)
        limit = csv.field_size_limit()
        try:
            csv.field_size_limit(CSV_FIELD_LIMIT)
            yield from self._csv_rows(reader, lines)
        finally:
            csv.field_size_limit(limit)

    def _csv_rows(
        self, reader: Iterator[list[str]], lines: _Lines
    ) -> Iterator[tuple[str, dict[str, Any] | BadLine]]:
        try:
            header = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputFileError(f"{self.path}: the header line is not CSV: {exc}") from None
        if lines.undecodable:
            raise InputFileError(f"{self.path}: the header line is not UTF-8 text")
        header = [h.strip() for h in header]
        if len(set(header)) != len(header):
            raise InputFileError(f"{self.path}: the header names a column twice: {header}")
        count = 0
        while True:
            lines.start_record()
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield from self._broken_record(lines, exc)
                reader = csv.reader(iter(lines), strict=True)  # the old one may have run dry
                continue
            finally:
                self._line = lines.number
            count += 1
            if count % 1024 == 0:
                self._tick()
            if row and (len(row) > 1 or row[0].strip()):
                yield f"line {lines.number}", _record(row, header, undecodable=lines.undecodable)

    @staticmethod
    def _broken_record(
        lines: _Lines, exc: csv.Error
    ) -> Iterator[tuple[str, dict[str, Any] | BadLine]]:
        """Name the record that broke the CSV reader and read the lines it swallowed again."""
        taken = lines.taken
        first = taken[0][0] if taken else lines.number
        reason = str(exc)
        if "field larger than field limit" in reason:
            message = f"a field is longer than {CSV_FIELD_LIMIT:,} characters"
        elif len(taken) > 1 or "unexpected end of data" in reason:
            message = "a quote opened in this line is not closed where its field ends"
        else:
            message = f"not CSV ({reason})"
        if len(taken) == 2:
            message += f"; line {taken[1][0]:,} is read again as a record"
        elif len(taken) > 2:
            message += f"; lines {taken[1][0]:,} to {taken[-1][0]:,} are read again as records"
        yield f"line {first}", BadLine(message)
        lines.read_again(taken[1:])

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


class _Lines:
    """The numbered lines of a CSV file as the csv module reads them, with the lines of the
    record being read kept, so that a record that broke can hand back the lines it swallowed."""

    def __init__(self, text: IO[str]) -> None:
        self._text = text
        self._again: deque[tuple[int, str]] = deque()
        self._read = 0
        self.number = 0  # the line handed out last
        self.taken: list[tuple[int, str]] = []
        self.undecodable = False

    def __iter__(self) -> Iterator[str]:
        # A generator, not __next__: the csv module asks once a line, and a generator's step
        # costs a fraction of a method call.
        for line in self._text:
            while self._again:  # lines handed back come before the one just read
                yield self._hand_out(*self._again.popleft())
            self._read += 1
            yield self._hand_out(self._read, line)
        while self._again:
            yield self._hand_out(*self._again.popleft())

    def _hand_out(self, number: int, line: str) -> str:
        self.number = number
        self.taken.append((number, line))
        if not line.isascii() and _UNDECODABLE.search(line):
            self.undecodable = True
        return line

    def start_record(self) -> None:
        self.taken = []
        self.undecodable = False

    def read_again(self, lines: list[tuple[int, str]]) -> None:
        self._again.extendleft(reversed(lines))


def _record(row: list[str], header: list[str], *, undecodable: bool) -> dict[str, Any] | BadLine:
    if undecodable:
        return BadLine(_undecodable(row, header))
    if len(row) != len(header):
        return BadLine(f"has {len(row)} columns, the header has {len(header)}")
    return dict(zip(header, row, strict=True))


def _undecodable(row: list[str], header: list[str]) -> str:
    """Which byte is not UTF-8, and in which column (its value is not shown: it may be personal)."""
    for index, value in enumerate(row):
        found = _UNDECODABLE.search(value)
        if found:
            column = header[index] if index < len(header) else f"column {index + 1}"
            return (
                f"not UTF-8 text: byte 0x{ord(found.group()) - 0xDC00:02X} in {column} "
                f"(re-export the file as UTF-8)"
            )
    return "not UTF-8 text (re-export the file as UTF-8)"


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
