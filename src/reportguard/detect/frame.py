"""The reports and accounts that detection reads, as Polars frames with numeric columns.

Every detector works on the same frame: times as epoch seconds, ids as strings, network
identifiers as 64-bit keys of the keyed hashes that ingest stored. It can be built from the
database, or from a simulation's files for experiments and tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import orjson
import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from reportguard.errors import ReportGuardError

REPORT_COLUMNS = {
    "report_id": pl.Utf8,
    "reporter_id": pl.Utf8,
    "target_id": pl.Utf8,
    "content_id": pl.Utf8,
    "reason": pl.Utf8,
    "text": pl.Utf8,
    "t": pl.Int64,
    "referrer": pl.Utf8,
    "ip_hash": pl.Utf8,
    "device_hash": pl.Utf8,
}
# Context a platform may or may not send: a column of nulls where it is absent, so a detector can
# always read it. Where in the app each report was filed (the contract's ``surface``).
CONTEXT_COLUMNS = {"surface": pl.Utf8}
FRAME_COLUMNS = REPORT_COLUMNS | CONTEXT_COLUMNS
#: Network identifiers, which detection only ever compares for equality: a frame holds each as a
#: 64-bit key of its (already keyed) hash text, 8 bytes a report instead of a 20 to 64-character
#: text and its 16-byte view (about 0.65 GB less for ten million reports). Two different texts
#: share a key about once in 2**64 pairs, as two addresses already may share their hash.
IDENTITY_COLUMNS = ("ip_hash", "device_hash")
#: What a frame holds: :data:`FRAME_COLUMNS` with the identifiers as keys (:func:`held`).
HELD_COLUMNS = FRAME_COLUMNS | dict.fromkeys(IDENTITY_COLUMNS, pl.UInt64)
# Keys live in one process only and are never stored or compared across processes: Polars
# promises the same hash only within one version (the stream score uses BLAKE2b for keys that
# must last).
_IDENTITY_SEED = 0x1D
ACCOUNT_COLUMNS = {
    "account_id": pl.Utf8,
    "account_created": pl.Int64,
    "followers": pl.Int64,
    "posts": pl.Int64,
    "handle": pl.Utf8,
}


@dataclass(frozen=True)
class AccountCodes:
    """Dense integer codes for the reporters and the targets of a frame, one per report.

    ``reporter`` and ``target`` are each report's codes (UInt32, in the frame's row order);
    ``reporters[code]`` and ``targets[code]`` give the ids back, and ``reporter_keys`` /
    ``target_keys`` are what the codes are in the order of (see :func:`dense_codes`), for
    looking ids up. Reporters and targets are coded apart: the same account has unrelated codes
    on the two sides.
    """

    reporter: pl.Series
    target: pl.Series
    reporters: pl.Series
    targets: pl.Series
    reporter_keys: pl.Series
    target_keys: pl.Series


_SEED = 0x5EED


def dense_codes(ids: pl.Series) -> tuple[pl.Series, pl.Series, pl.Series]:
    """``(codes, names, keys)`` with ``names[codes] == ids``: each distinct id numbered from 0
    in the order of ``keys`` (sorted), a 64-bit hash of each name.

    Why not a categorical cast: numbering by a hash of the text is three times faster on ten
    million ids (joins and group-bys on the codes are then far faster than on the text). Two
    ids with the same hash would share a code, so the result is checked id by id, and on a
    collision the ids are numbered by their text instead (``keys`` is then the text): exact
    either way.

    >>> codes, names, _ = dense_codes(pl.Series(["b", "a", "b", "c"]))
    >>> names.gather(codes).to_list()
    ['b', 'a', 'b', 'c']
    >>> len(names)
    3
    """
    frame = ids.cast(pl.Utf8).to_frame("id").with_columns(pl.col("id").hash(seed=_SEED).alias("h"))
    names = frame.unique("h", keep="first").sort("h").with_row_index("code")
    codes = frame.join(names.select("h", "code"), on="h", how="left", maintain_order="left")["code"]
    keys = names["h"]
    if not (names["id"].gather(codes) == frame["id"]).all():  # about 2**-64 per pair of ids
        names = frame.select("id").unique().sort("id").with_row_index("code")
        codes = frame.join(names, on="id", how="left", maintain_order="left", nulls_equal=True)[
            "code"
        ]
        keys = names["id"]
    return codes.cast(pl.UInt32).rename(ids.name), names["id"].rename(ids.name), keys


def identity_key(text: pl.Expr) -> pl.Expr:
    """The 64-bit key a frame holds for an identifier's text (null stays null).

    >>> key = pl.select(identity_key(pl.lit(pl.Series(["h1", None, "h1"])))).to_series()
    >>> key[0] == key[2], key[1]
    (True, None)
    """
    return pl.when(text.is_not_null()).then(text.hash(seed=_IDENTITY_SEED))


def held(schema: pl.Schema) -> list[pl.Expr]:
    """Columns of a frame with ``schema`` as a :class:`ReportFrame` holds them
    (:data:`HELD_COLUMNS`): identifiers given as text become their keys, keys stay keys, and
    context the platform did not send is a column of nulls."""
    return [
        pl.lit(None, dtype=t).alias(c)
        if c in CONTEXT_COLUMNS and c not in schema
        else identity_key(pl.col(c).cast(pl.Utf8)).alias(c)
        if c in IDENTITY_COLUMNS and schema.get(c) != pl.UInt64
        else pl.col(c).cast(t)
        for c, t in HELD_COLUMNS.items()
    ]


def check_span(numbers: int, start: int, end: int) -> None:
    """Refuse report times too far apart to be counted in windows (a log whose time column is
    in nanoseconds, or garbage) instead of letting the window numbers overflow."""
    if numbers >= 2**62:
        raise ReportGuardError(
            f"the reports' times run from {start:,} to {end:,} epoch seconds, too far apart "
            "to count in windows: check the log's time column (seconds since 1970)"
        )


def _mask(codes: pl.Series, names: pl.Series, keys: pl.Series, ids: pl.Series) -> pl.Series:
    """Rows whose code names one of ``ids``: the few ids are found among the names by binary
    search on ``keys``, and the rows picked by their codes, instead of testing millions of id
    texts."""
    picked = np.zeros(len(names), dtype=bool)
    wanted = ids.cast(pl.Utf8).drop_nulls().unique()
    if len(names) and len(wanted):
        probe = wanted.hash(seed=_SEED) if keys.dtype == pl.UInt64 else wanted
        at = np.minimum(keys.search_sorted(probe).to_numpy(), len(names) - 1)
        found = (names.gather(at) == wanted).fill_null(False).to_numpy()
        picked[at[found]] = True
    return pl.Series(picked[codes.to_numpy()])


def _in_order(reports: pl.DataFrame) -> bool:
    """Whether ``reports`` are sorted by time, then report_id (exports usually are)."""
    t, rid = pl.col("t"), pl.col("report_id")
    later = (t > t.shift()) | ((t == t.shift()) & (rid >= rid.shift()))
    return bool(
        reports.select(
            later.fill_null(True).all() & t.null_count().eq(0) & rid.null_count().eq(0)
        ).item()
    )


@dataclass
class ReportFrame:
    """Reports sorted by time, plus the account snapshots known for reporters and targets.

    ``reports`` holds :data:`REPORT_COLUMNS` and the optional :data:`CONTEXT_COLUMNS` (null where
    the platform sent none), network identifiers as keys (:data:`HELD_COLUMNS`).
    """

    reports: pl.DataFrame
    accounts: pl.DataFrame

    def __post_init__(self) -> None:
        missing = set(REPORT_COLUMNS) - set(self.reports.columns)
        if missing:
            raise ValueError(f"reports frame lacks {sorted(missing)}")
        self.reports = self.reports.select(held(self.reports.schema))
        if not _in_order(self.reports):  # sorting 10M reports copies them all: only if needed
            self.reports = self.reports.sort("t", "report_id")
        if self.accounts.is_empty():
            self.accounts = pl.DataFrame(schema=ACCOUNT_COLUMNS)
        self.accounts = self.accounts.select(
            [pl.col(c).cast(t) for c, t in ACCOUNT_COLUMNS.items()]
        )

    def __setattr__(self, name: str, value: object) -> None:
        # New reports or accounts make the codes and counts drawn from the old ones wrong.
        if name in ("reports", "accounts"):
            self.__dict__.pop("_codes", None)
            self.__dict__.pop("_breadth", None)
        super().__setattr__(name, value)

    def __len__(self) -> int:
        return len(self.reports)

    @property
    def start(self) -> int:
        return int(self.reports["t"].min() or 0)  # type: ignore[arg-type]

    @property
    def end(self) -> int:
        return int(self.reports["t"].max() or 0)  # type: ignore[arg-type]

    def codes(self) -> AccountCodes:
        """Reporters and targets as dense integer codes, computed once per frame: the signals
        that pair, count or group reports by account work on these instead of the id text."""
        cached: AccountCodes | None = getattr(self, "_codes", None)
        if cached is None:
            reporter, reporters, reporter_keys = dense_codes(self.reports["reporter_id"])
            target, targets, target_keys = dense_codes(self.reports["target_id"])
            cached = AccountCodes(reporter, target, reporters, targets, reporter_keys, target_keys)
            self._codes = cached
        return cached

    def reported_by(self, reporters: pl.Series) -> pl.Series:
        """Which reports were filed by one of ``reporters`` (a mask over ``reports``)."""
        codes = self.codes()
        return _mask(codes.reporter, codes.reporters, codes.reporter_keys, reporters)

    def reporting(self, targets: pl.Series) -> pl.Series:
        """Which reports name one of ``targets`` (a mask over ``reports``)."""
        codes = self.codes()
        return _mask(codes.target, codes.targets, codes.target_keys, targets)

    def breadth(self) -> pl.DataFrame:
        """How many distinct accounts each reporter reported (``reporter_id``, ``breadth``),
        computed once per frame: several signals and the boundary step read it."""
        cached: pl.DataFrame | None = getattr(self, "_breadth", None)
        if cached is None:
            codes = self.codes()
            # One 64-bit number per (reporter, target) pair: unique and group-by on one integer.
            pairs = pl.DataFrame({"r": codes.reporter, "g": codes.target}).select(
                (pl.col("r").cast(pl.UInt64) * (1 << 32) + pl.col("g")).unique() // (1 << 32)
            )
            counts = pairs.group_by("r").agg(pl.len().cast(pl.Int64).alias("breadth"))
            cached = pl.DataFrame(
                {"reporter_id": codes.reporters.gather(counts["r"]), "breadth": counts["breadth"]}
            )
            self._breadth = cached
        return cached

    def distinct_targets(self) -> int:
        """How many distinct accounts were reported."""
        return len(self.codes().targets)

    def distinct_reporters(self) -> int:
        """How many distinct accounts filed a report."""
        return len(self.codes().reporters)

    @classmethod
    def from_simulation(cls, directory: Path) -> ReportFrame:
        """Read a `reportguard simulate` folder. Its addresses are synthetic: no keyed hash is
        applied, and the frame holds their keys as it does any identifier's."""
        fmt = "parquet" if (directory / "reports.parquet").exists() else "jsonl"

        def read(path: Path) -> pl.DataFrame:
            if fmt == "parquet":
                return pl.read_parquet(path)
            # The simulator writes every field on every line (null where it has no value), so
            # the first line gives the types; inferring them from every line reads the file
            # twice (2.3 s instead of 0.6 s for medium's 929k reports).
            with path.open("rb") as lines:
                first = orjson.loads(lines.readline() or b"{}")
            schema = {k: pl.Int64 if isinstance(v, int) else pl.Utf8 for k, v in first.items()}
            return pl.read_ndjson(path, schema=schema)

        reports = read(directory / f"reports.{fmt}")
        accounts = read(directory / f"accounts.{fmt}")
        iso = "%Y-%m-%dT%H:%M:%SZ"
        reports = reports.with_columns(
            pl.col("created_at").str.to_datetime(iso, time_zone="UTC").dt.epoch("s").alias("t"),
            pl.col("ip").alias("ip_hash"),
            pl.col("device").alias("device_hash"),
        )
        accounts = accounts.with_columns(
            pl.col("created_at")
            .str.to_datetime(iso, time_zone="UTC")
            .dt.epoch("s")
            .alias("account_created"),
        )
        return cls(reports=reports, accounts=accounts)

    @classmethod
    def from_database(
        cls, engine: Engine, *, since: int | None = None, until: int | None = None
    ) -> ReportFrame:
        """Stored reports (optionally in a range of epoch seconds) and every account snapshot."""
        from reportguard.store.models import Account, Report
        from reportguard.store.sql import epoch_expr

        r = Report.__table__.c
        query = sa.select(
            r.report_id,
            r.reporter_id,
            r.target_id,
            r.content_id,
            r.reason,
            r.text,
            r.created_at,
            r.referrer,
            r.ip_hash,
            r.device_hash,
            r.surface,
        )
        # The column's type renders the bounds as each database stores times.
        if since is not None:
            query = query.where(r.created_at >= datetime.fromtimestamp(since, UTC))
        if until is not None:
            query = query.where(r.created_at < datetime.fromtimestamp(until, UTC))
        with engine.connect() as conn:
            reports = pl.read_database(query, conn, infer_schema_length=None)
            accounts = pl.read_database(
                sa.select(Account.__table__), conn, infer_schema_length=None
            )
        reports = reports.with_columns(epoch_expr(pl.col("created_at")).alias("t"))
        accounts = accounts.with_columns(epoch_expr(pl.col("created_at")).alias("account_created"))
        return cls(reports=reports, accounts=accounts)
