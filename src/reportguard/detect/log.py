"""A report log read straight into a :class:`ReportFrame`, without a database.

A platform with a large log (Parquet files, or JSON Lines) runs detection on it directly
(``reportguard detect --reports PATH``). Only the columns detection reads are read. Raw ``ip``
and ``device`` columns are replaced, as they are read, by a hash seeded for this run alone
(detection needs equality, nothing else), so no raw address reaches the results; a log that
already holds ``ip_hash``/``device_hash`` keeps them. A remote server's flags
(``reporter_kind = "server"``) are left out, as in the database path. A row without an id or a
time that does not read stops the run with that row named: detection over a log that silently
lost rows would be wrong without a trace.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from reportguard.detect.frame import ACCOUNT_COLUMNS, ReportFrame, identity_key
from reportguard.errors import InputFileError

REQUIRED = ("report_id", "reporter_id", "target_id", "created_at")
TEXT = ("content_id", "reason", "text", "referrer", "surface")
#: Every field detection reads from a JSON Lines log, each read as its text. Naming them spares
#: Polars reading the whole file twice to infer types (four times faster on a 265 MB log), and a
#: field that first appears late in the file is still read.
REPORT_FIELDS = (*REQUIRED, *TEXT, "ip", "device", "ip_hash", "device_hash", "reporter_kind")
ACCOUNT_FIELDS = ("account_id", "created_at", "followers", "posts", "handle", "snapshot_at")


@dataclass(frozen=True)
class LogFiles:
    """The report log and (optionally) the account snapshots, as files."""

    reports: list[Path]
    accounts: list[Path]

    @classmethod
    def resolve(cls, reports: Path, accounts: Path | None = None) -> LogFiles:
        """A folder of Parquet or JSON Lines parts, or one file; a ``reportguard simulate``
        folder names its accounts file too."""
        if not reports.exists():
            raise InputFileError(f"{reports}: no such file or folder")
        found_accounts: list[Path] = []
        if reports.is_dir():
            named = [reports / f"reports.{ext}" for ext in ("parquet", "jsonl", "jsonl.gz")]
            parts = [p for p in named if p.exists()] or sorted(
                p for p in reports.iterdir() if _readable(p) and not p.name.startswith("accounts")
            )
            if accounts is None:
                found_accounts = [
                    p
                    for ext in ("parquet", "jsonl", "jsonl.gz")
                    if (p := reports / f"accounts.{ext}").exists()
                ][:1]
        else:
            parts = [reports]
        if not parts:
            raise InputFileError(f"{reports}: no Parquet or JSON Lines file of reports in it")
        if accounts is not None:
            if not accounts.exists():
                raise InputFileError(f"{accounts}: no such file")
            found_accounts = [accounts]
        return cls(parts, found_accounts)


def _readable(path: Path) -> bool:
    return path.is_file() and path.name.endswith((".parquet", ".jsonl", ".jsonl.gz", ".ndjson"))


def read_log(files: LogFiles) -> ReportFrame:
    """The log's reports and accounts as a :class:`ReportFrame` (times as epoch seconds)."""
    seed = secrets.randbits(64)
    parts = [_reports(_scan(p, REPORT_FIELDS), p, seed) for p in files.reports]
    reports = parts[0] if len(parts) == 1 else pl.concat(parts, how="diagonal_relaxed")
    accounts = pl.DataFrame(schema=ACCOUNT_COLUMNS)
    if files.accounts:
        snapshots = [_accounts(_scan(p, ACCOUNT_FIELDS), p) for p in files.accounts]
        # One row per account: where the files hold several snapshots of one, the latest (by
        # snapshot_at, else the last written), as the Spark engine reads them.
        accounts = (
            pl.concat(snapshots, how="diagonal_relaxed")
            .sort("_snapshot", nulls_last=False, maintain_order=True)
            .unique("account_id", keep="last", maintain_order=True)
            .drop("_snapshot")
        )
    return ReportFrame(reports=reports, accounts=accounts)


def _scan(path: Path, fields: tuple[str, ...]) -> pl.LazyFrame:
    """Parquet as it is; JSON Lines as the text of ``fields`` (a number reads as its digits, a
    field absent from every line as nulls, any other field is not read)."""
    try:
        if path.name.endswith(".parquet"):
            return pl.scan_parquet(path)
        return pl.scan_ndjson(path, schema=dict.fromkeys(fields, pl.Utf8))
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise InputFileError(f"{path}: cannot read it ({exc})") from None


def _names(frame: pl.LazyFrame, path: Path) -> set[str]:
    try:
        return set(frame.collect_schema().names())
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise InputFileError(f"{path}: cannot read it ({exc})") from None


# The form nearly every export writes (UTC, "Z", optional fraction): parsing it with the format
# given is three times faster than letting Polars infer one; the rest are parsed after.
ISO_UTC = "%Y-%m-%dT%H:%M:%S%.fZ"


def _epoch(name: str, kind: pl.DataType, *, fast: bool = False) -> pl.Expr:
    """Epoch seconds from a timestamp, an ISO 8601 text or a number of seconds; with ``fast``,
    texts only in the :data:`ISO_UTC` form (the others null, for :func:`_late_times`)."""
    column = pl.col(name)
    if kind.is_numeric():
        return column.cast(pl.Int64, strict=False)
    if kind == pl.Utf8:
        form = {"format": ISO_UTC} if fast else {}
        parsed = column.str.to_datetime(time_zone="UTC", strict=False, **form)  # type: ignore[arg-type]
        return parsed.dt.epoch("s") if fast else pl.coalesce(parsed.dt.epoch("s"), _seconds(column))
    return column.dt.epoch("s")


def _seconds(text: pl.Expr) -> pl.Expr:
    """Epoch seconds written as a number (``1767225600`` or ``1767225600.25``), read as text.

    Only nine or ten digits are seconds (1973 to 2286): a compact date (``20260101``) or
    milliseconds (13 digits) would read as a wrong time without a word, so they stay unread and
    the row is refused by name."""
    digits = text.str.strip_chars()
    seconds = digits.cast(pl.Float64, strict=False).cast(pl.Int64, strict=False)
    return pl.when(digits.str.contains(r"^-?\d{9,10}(\.\d+)?$")).then(seconds)


def _late_times(read: pl.DataFrame) -> pl.DataFrame:
    """Times in other forms than :data:`ISO_UTC` (an offset, a space, a date alone), parsed on
    their own rows; what still cannot be read stays null for the error that names it."""
    late = read["t"].is_null() & read["_created"].is_not_null()
    if not late.any():
        return read
    rows = late.arg_true()
    created = read["_created"].gather(rows).to_frame()
    parsed = created.select(_epoch("_created", pl.Utf8())).to_series()
    t = read["t"].scatter(rows, parsed)
    return read.with_columns(t, pl.when(t.is_null()).then(pl.col("_created")).alias("_created"))


def _identifier(names: set[str], name: str) -> list[pl.Expr]:
    """The first of two steps that key ``name`` (``ip`` or ``device``): its raw value as text,
    normalised (``_raw_<name>``), and the row's own hash as text, where present.

    Two steps because Polars computes an expression used several times in one step once per
    use: keying the normalised address in the same step took three times as long."""
    out = []
    if name in names:
        out.append(
            pl.col(name).cast(pl.Utf8).str.strip_chars().str.to_lowercase().alias(f"_raw_{name}")
        )
    if f"{name}_hash" in names:
        out.append(pl.col(f"{name}_hash").cast(pl.Utf8))
    return out


def _hashed(names: set[str], name: str, seed: int) -> pl.Expr:
    """The second step: a row's own hash where the log holds one, as the 64-bit key a frame
    holds (:func:`~reportguard.detect.frame.identity_key`), else its raw value hashed with
    ``seed`` (drawn for the run: raw values and given hashes are keyed apart)."""
    hashed = pl.lit(None, dtype=pl.UInt64)
    if name in names:
        value = pl.col(f"_raw_{name}")
        hashed = pl.when(value.is_null() | (value == "")).then(None).otherwise(value.hash(seed))
    if f"{name}_hash" in names:
        return pl.coalesce(identity_key(pl.col(f"{name}_hash")), hashed)
    return hashed


def _ipv4_mapped(names: set[str]) -> list[pl.Expr]:
    """As ingest and the Spark engine: an IPv4 address written IPv4-mapped is the same. (Guarded
    by a literal test for ``ffff:``, which measured faster than the pattern over every value.)"""
    if "ip" not in names:
        return []
    value = pl.col("_raw_ip")
    mapped = value.str.replace(r"^(0{0,4}:)+ffff:(\d+\.\d+\.\d+\.\d+)$", "$2")
    return [pl.when(value.str.contains("ffff:", literal=True)).then(mapped).otherwise(value)]


def _reports(frame: pl.LazyFrame, path: Path, seed: int) -> pl.DataFrame:
    names = _names(frame, path)
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise InputFileError(f"{path}: the report log has no column {', '.join(missing)}")
    if "reporter_kind" in names:
        frame = frame.filter(pl.col("reporter_kind").cast(pl.Utf8).fill_null("") != "server")
    schema = frame.collect_schema()
    columns = [pl.col(c).cast(pl.Utf8) for c in ("report_id", "reporter_id", "target_id")]
    columns += [
        (pl.col(c).cast(pl.Utf8) if c in names else pl.lit(None, dtype=pl.Utf8)).alias(c)
        for c in TEXT
    ]
    t = _epoch("created_at", schema["created_at"], fast=True)
    columns += [
        t.alias("t"),
        # The raw time is kept only where it could not be read, for the error that names it.
        pl.when(t.is_null()).then(pl.col("created_at").cast(pl.Utf8)).alias("_created"),
        *_identifier(names, "ip"),
        *_identifier(names, "device"),
    ]
    keys = [_hashed(names, c, seed).alias(f"{c}_hash") for c in ("ip", "device")]
    try:
        read = (
            frame.select(columns)
            .with_columns(_ipv4_mapped(names))
            .with_columns(keys)
            .select(pl.exclude("^_raw_.*$"))
            .with_row_index("_row", offset=1)
            .collect()
        )
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise InputFileError(f"{path}: cannot read it ({exc})") from None
    read = _late_times(read)
    # each part on its own, so the error names the file the row is in
    _check(read, path, named=path.name.endswith(".parquet"))
    return read.drop("_row", "_created")


def _check(reports: pl.DataFrame, path: Path, *, named: bool) -> None:
    """Refuse a log with a row that lacks an id or a time, naming the first such row; a JSON
    Lines log names no columns (``named`` false), so a field on no line is a missing column."""
    if not named and len(reports):
        for name in ("report_id", "reporter_id", "target_id"):
            if reports[name].null_count() == len(reports):
                raise InputFileError(f"{path}: the report log has no column {name}")
        if reports["_created"].null_count() == reports["t"].null_count() == len(reports):
            raise InputFileError(f"{path}: the report log has no column created_at")
    bad = reports.filter(
        pl.any_horizontal(
            pl.col("report_id").is_null(),
            pl.col("reporter_id").is_null(),
            pl.col("target_id").is_null(),
            pl.col("t").is_null(),
        )
    ).head(1)
    if len(bad):
        row = bad.row(0, named=True)
        field = next(
            (c for c in ("report_id", "reporter_id", "target_id") if row[c] is None), "created_at"
        )
        shown = row["_created"] if field == "created_at" else None
        raise InputFileError(
            f"{path}: row {row['_row']:,}: {field}: "
            + ("missing" if shown is None else f"not a time: {shown!r}")
        )


def _accounts(frame: pl.LazyFrame, path: Path) -> pl.DataFrame:
    """The account snapshots of one file, with ``_snapshot`` (when each was taken)."""
    schema = frame.collect_schema()
    names = set(schema.names())
    if "account_id" not in names:
        raise InputFileError(f"{path}: the accounts file has no column account_id")
    created = (
        _epoch("created_at", schema["created_at"])
        if "created_at" in names
        else pl.lit(None, dtype=pl.Int64)
    )
    snapshot = (
        _epoch("snapshot_at", schema["snapshot_at"])
        if "snapshot_at" in names
        else pl.lit(None, dtype=pl.Int64)
    )
    columns = [
        pl.col("account_id").cast(pl.Utf8),
        created.alias("account_created"),
        snapshot.alias("_snapshot"),
    ]
    columns += [
        (_number(c, schema[c]) if t == pl.Int64 else pl.col(c).cast(t, strict=False)).alias(c)
        if c in names
        else pl.lit(None, dtype=t).alias(c)
        for c, t in ACCOUNT_COLUMNS.items()
        if c not in ("account_id", "account_created")
    ]
    try:
        read = frame.select(columns).collect()
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise InputFileError(f"{path}: cannot read it ({exc})") from None
    if len(read) and read["account_id"].null_count() == len(read):
        raise InputFileError(f"{path}: the accounts file has no column account_id")
    return read.drop_nulls("account_id")


def _number(name: str, kind: pl.DataType) -> pl.Expr:
    """A whole number from a number or its text (``12`` or ``"12.0"``; a fraction is cut)."""
    column = pl.col(name)
    if kind == pl.Utf8:
        column = column.str.strip_chars().cast(pl.Float64, strict=False)
    return column.cast(pl.Int64, strict=False)
