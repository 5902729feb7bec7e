"""Bulk import on SQLite and PostgreSQL: counts add up, re-imports store nothing twice."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from tests.conftest import TEST_KEY
from tests.helpers import account, report, write_jsonl

from reportguard.ingest.hashing import IdentifierHasher
from reportguard.ingest.importer import Importer
from reportguard.store import models as m


def importer(engine: Engine, **kwargs: object) -> Importer:
    return Importer(engine, IdentifierHasher(TEST_KEY.encode()), **kwargs)  # type: ignore[arg-type]


def count(engine: Engine, table: sa.Table) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_import_counts_every_record(engine: Engine, tmp_path: Path) -> None:
    records = [report(n) for n in range(250)]
    records += [report(3), report(4)]  # duplicates inside the same file
    records += [account("u-1"), account("u-2")]
    records += [report(900, created_at="tomorrow"), "{not json"]
    path = write_jsonl(tmp_path / "reports.jsonl", records)

    summary = importer(engine, batch_size=64).import_file(path)

    assert summary.records == 256
    assert (summary.accepted, summary.duplicates, summary.accounts, summary.rejected) == (
        250,
        2,
        2,
        2,
    )
    assert count(engine, m.Report.__table__) == 250
    assert count(engine, m.Account.__table__) == 2


def test_reimport_is_idempotent(engine: Engine, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "reports.jsonl", [report(n) for n in range(100)])
    first = importer(engine, batch_size=30).import_file(path)
    second = importer(engine, batch_size=7).import_file(path)
    assert (first.accepted, first.duplicates) == (100, 0)
    assert (second.accepted, second.duplicates) == (0, 100)
    assert count(engine, m.Report.__table__) == 100


def test_first_write_of_a_report_id_wins(engine: Engine, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [report(1, reason="spam")])
    importer(engine).import_file(path)
    write_jsonl(path, [report(1, reason="violence")])
    assert importer(engine).import_file(path).duplicates == 1
    with engine.connect() as conn:
        assert conn.execute(sa.select(m.Report.reason)).scalar_one() == "spam"


def test_a_reused_report_id_for_another_report_is_a_conflict(
    engine: Engine, tmp_path: Path
) -> None:
    """A different target, or one at another time, under a stored id is named, not dropped."""
    path = write_jsonl(tmp_path / "a.jsonl", [report(1), report(2)])
    importer(engine).import_file(path)
    records = [
        report(1),  # the same report again: a duplicate
        report(2, target_id="t-other"),  # conflicts with the stored r-2
        report(3),
        report(3, created_at="2025-01-01T00:00:00Z"),  # conflicts within this very file
    ]
    write_jsonl(path, records)

    summary = importer(engine, batch_size=2).import_file(path)

    assert (summary.accepted, summary.duplicates, summary.rejected, summary.conflicts) == (
        1,
        1,
        2,
        2,
    )
    assert summary.as_dict()["conflicts"] == 2
    lines = [json.loads(line) for line in summary.rejects_path.read_text().splitlines()]  # type: ignore[union-attr]
    assert [line["location"].split()[-1] for line in lines] == ["2", "4"]
    target = lines[0]["errors"][0]
    assert target["field"] == "target_id"
    assert "'t-2'" in target["message"]
    assert "'t-other'" in target["message"]
    assert lines[1]["errors"][0]["field"] == "created_at"
    assert lines[1]["record"]["ip"] == "[redacted]"
    with engine.connect() as conn:
        stored = dict(conn.execute(sa.select(m.Report.report_id, m.Report.target_id)).all())
    assert stored == {"r-1": "t-1", "r-2": "t-2", "r-3": "t-3"}  # the stored ones are kept


def test_newer_account_snapshot_wins_older_does_not(engine: Engine, tmp_path: Path) -> None:
    new = account("u-1", followers=500, snapshot_at="2026-11-20T00:00:00Z")
    old = account("u-1", followers=5, snapshot_at="2026-01-01T00:00:00Z")
    importer(engine).import_file(write_jsonl(tmp_path / "a.jsonl", [new, old]))
    with engine.connect() as conn:
        assert conn.execute(sa.select(m.Account.followers)).scalar_one() == 500
    newest = account("u-1", followers=900, snapshot_at="2026-11-21T00:00:00Z")
    importer(engine).import_file(write_jsonl(tmp_path / "b.jsonl", [newest]))
    with engine.connect() as conn:
        assert conn.execute(sa.select(m.Account.followers)).scalar_one() == 900


def test_stored_values_round_trip(engine: Engine, tmp_path: Path) -> None:
    raw = report(7, created_at="2026-11-24T21:31:07.250+01:00", content_id="v-9", reason="Spam")
    importer(engine).import_file(write_jsonl(tmp_path / "a.jsonl", [raw]))
    with engine.connect() as conn:
        row = conn.execute(sa.select(m.Report.__table__)).mappings().one()
    with sa.orm.Session(engine) as session:
        stored = session.scalars(sa.select(m.Report)).one()
    assert stored.created_at.isoformat() == "2026-11-24T20:31:07.250000+00:00"
    assert (row["content_id"], row["reason"], row["text"]) == ("v-9", "spam", "report number 7")
    assert row["ingest_run_id"] is not None


def test_rejects_file_names_location_and_field_and_redacts(engine: Engine, tmp_path: Path) -> None:
    bad = report(2, created_at="not-a-time", ip="203.0.113.77")
    path = write_jsonl(tmp_path / "reports.jsonl", [report(1), bad])
    summary = importer(engine).import_file(path)
    assert summary.rejects_path == tmp_path / "reports.jsonl.rejects.jsonl"
    (line,) = summary.rejects_path.read_text().splitlines()
    entry = json.loads(line)
    assert entry["location"] == "line 2"
    assert entry["errors"][0]["field"] == "created_at"
    assert entry["record"]["ip"] == "[redacted]"
    assert "203.0.113.77" not in line
    assert str(summary.first_rejections[0]).startswith(
        "reports.jsonl:2: created_at: not a timestamp"
    )


def test_a_clean_rerun_removes_a_stale_rejects_file(engine: Engine, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "r.jsonl", [report(1, created_at="bad")])
    importer(engine).import_file(path)
    assert (tmp_path / "r.jsonl.rejects.jsonl").exists()
    write_jsonl(path, [report(1)])
    summary = importer(engine).import_file(path)
    assert summary.rejects_path is None
    assert not (tmp_path / "r.jsonl.rejects.jsonl").exists()


def test_field_map_and_ignored_fields(engine: Engine, tmp_path: Path) -> None:
    raw = report(1)
    raw["ip_address"] = raw.pop("ip")
    raw["moderation_note"] = "x"
    path = write_jsonl(tmp_path / "r.jsonl", [raw])
    summary = importer(engine, field_map={"ip_address": "ip"}).import_file(path)
    assert summary.accepted == 1
    assert dict(summary.ignored_fields) == {"moderation_note": 1}
    with engine.connect() as conn:
        assert conn.execute(sa.select(m.Report.ip_hash)).scalar_one() is not None


def test_csv_and_parquet_import(engine: Engine, tmp_path: Path) -> None:
    csv_path = tmp_path / "r.csv"
    csv_path.write_text(
        "report_id,reporter_id,target_id,reason,created_at,ip,content_id\n"
        "c-1,u-1,t-1,spam,2026-11-01T00:00:00Z,203.0.113.1,\n"
        "c-2,u-2,t-1,spam,2026-11-01 00:05:00,,v-1\n"
    )
    pq_path = tmp_path / "r.parquet"
    pq.write_table(pa.Table.from_pylist([report(n) for n in range(10)]), pq_path)
    imp = importer(engine)
    assert imp.import_file(csv_path).accepted == 2
    assert imp.import_file(pq_path).accepted == 10
    assert count(engine, m.Report.__table__) == 12


def test_ingest_runs_are_recorded(engine: Engine, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "r.jsonl", [report(1), report(2, reason="")])
    importer(engine).import_file(path)
    with engine.connect() as conn:
        run = conn.execute(sa.select(m.IngestRun.__table__)).mappings().one()
    assert (run["source"], run["status"], run["records"], run["accepted"], run["rejected"]) == (
        "r.jsonl",
        "done",
        2,
        1,
        1,
    )


def test_progress_reaches_the_end(engine: Engine, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "r.jsonl", [report(n) for n in range(3000)])
    seen: list[tuple[int, int]] = []
    importer(engine, batch_size=500).import_file(path, progress=lambda d, t: seen.append((d, t)))
    assert len(seen) >= 6
    assert seen[-1] == (path.stat().st_size, path.stat().st_size)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_surface_is_normalised_and_unknown_surfaces_are_refused(
    engine: Engine, tmp_path: Path
) -> None:
    good = report(1, surface="Direct-Link")
    bad = report(2, surface="homepage")
    summary = importer(engine).import_file(write_jsonl(tmp_path / "s.jsonl", [good, bad]))
    with engine.connect() as conn:
        assert conn.execute(sa.select(m.Report.surface)).scalars().all() == ["direct_link"]
    assert str(summary.first_rejections[0]).startswith("s.jsonl:2: surface: not a surface")


def test_a_control_character_refuses_its_record_and_keeps_the_rest(
    engine: Engine, tmp_path: Path
) -> None:
    # One NUL among 1,000 records: SQLite used to store "nul" cut short, PostgreSQL to refuse
    # the whole batch. Now the record is refused with the field named and the 999 are stored.
    records = [report(i) for i in range(1000)]
    records[500] = report(500, reporter_id="nul\u00002")
    records[501] = report(501, text="line one\nline two\ttabbed")  # whitespace is text
    records[502] = report(502, reason="spam\u0007")
    path = write_jsonl(tmp_path / "nul.jsonl", records)
    summary = importer(engine).import_file(path)
    assert (summary.accepted, summary.rejected) == (998, 2)
    messages = sorted(str(r) for r in summary.first_rejections)
    assert messages == [
        "nul.jsonl:501: reporter_id: contains the control character U+0000 at position 4; "
        "remove it",
        "nul.jsonl:503: reason: contains the control character U+0007 at position 5; remove it",
    ]
    assert count(engine, m.Report.__table__) == 998
    with engine.connect() as conn:
        stored = conn.execute(
            sa.select(m.Report.text).where(m.Report.report_id == "r-501")
        ).scalar_one()
    assert stored == "line one\nline two\ttabbed"
    again = importer(engine).import_file(path)
    assert (again.accepted, again.duplicates, again.rejected) == (0, 998, 2)


# -- files that break part way (#24) -------------------------------------------------------------

CSV_HEADER = "report_id,reporter_id,target_id,reason,created_at,text\n"


def _csv_line(n: int, text: str = "fine") -> str:
    return f"r-{n},u-{n % 97},t-{n % 13},spam,2026-11-01T00:00:00Z,{text}\n"


def test_a_bad_byte_deep_in_a_csv_costs_its_record_only(engine: Engine, tmp_path: Path) -> None:
    # One byte that is not UTF-8 at row 2,501, after two batches were committed: the import
    # used to stop there ("cannot read past byte ...", exit 2) without saying what it had stored.
    path = tmp_path / "bad.csv"
    with path.open("wb") as handle:
        handle.write(CSV_HEADER.encode())
        for n in range(1, 3001):
            handle.write(_csv_line(n, "caf\xe9" if n == 2501 else "fine").encode("latin-1"))
    summary = importer(engine, batch_size=1000).import_file(path)
    assert (summary.records, summary.accepted, summary.rejected) == (3000, 2999, 1)
    assert summary.unread is None
    assert str(summary.first_rejections[0]) == (
        "bad.csv:2502: not UTF-8 text: byte 0xE9 in text (re-export the file as UTF-8)"
    )
    assert count(engine, m.Report.__table__) == 2999
    again = importer(engine, batch_size=1000).import_file(path)
    assert (again.accepted, again.duplicates, again.rejected) == (0, 2999, 1)
    assert count(engine, m.Report.__table__) == 2999


def test_an_unterminated_quote_costs_its_record_not_the_next_ones(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "quote.csv"
    path.write_text(
        CSV_HEADER
        + _csv_line(1, '"never closed')
        + _csv_line(2)
        + _csv_line(3, '"quoted, with a comma"')
        + _csv_line(4, '"two\nlines"')
        + _csv_line(5, '"open at the end')
        + _csv_line(6)
    )
    summary = importer(engine).import_file(path)
    assert (summary.records, summary.accepted, summary.rejected) == (6, 4, 2)
    assert [str(r) for r in summary.first_rejections] == [
        "quote.csv:2: a quote opened in this line is not closed where its field ends; "
        "lines 3 to 4 are read again as records",
        "quote.csv:7: a quote opened in this line is not closed where its field ends; "
        "line 8 is read again as a record",
    ]
    with engine.connect() as conn:
        stored = dict(conn.execute(sa.select(m.Report.report_id, m.Report.text)).all())
    assert stored == {
        "r-2": "fine",
        "r-3": "quoted, with a comma",
        "r-4": "two\nlines",
        "r-6": "fine",
    }


def test_a_huge_record_is_refused_and_its_rejects_line_is_capped(
    engine: Engine, tmp_path: Path
) -> None:
    huge = "x" * 3_000_000
    csv_path = tmp_path / "huge.csv"
    csv_path.write_text(CSV_HEADER + _csv_line(1, huge) + _csv_line(2))
    summary = importer(engine).import_file(csv_path)
    assert (summary.accepted, summary.rejected) == (1, 1)
    assert str(summary.first_rejections[0]) == (
        "huge.csv:2: a field is longer than 131,072 characters"
    )
    json_path = write_jsonl(
        tmp_path / "huge.jsonl",
        [report(3, text=huge, **{f"extra_{i}": i for i in range(500)}), report(4)],
    )
    summary = importer(engine).import_file(json_path)
    assert (summary.accepted, summary.rejected) == (1, 1)
    assert summary.rejects_path is not None
    assert summary.rejects_path.stat().st_size < 20_000  # not the 3 MB record
    kept = json.loads(summary.rejects_path.read_text())["record"]
    assert kept["text"].startswith("x" * 1000)
    assert kept["text"].endswith("... [cut: 3,000,000 characters in all]")
    assert kept["..."] == "408 more fields not kept here"


def test_a_file_that_cannot_be_read_to_its_end_keeps_what_came_before(
    engine: Engine, tmp_path: Path
) -> None:
    # A gzip stream cut short: reading stops at a line the summary names; what was read before
    # is stored and counted, and the import of the whole file later stores only the rest.
    import gzip

    whole = CSV_HEADER + "".join(_csv_line(n) for n in range(1, 20_001))
    packed = gzip.compress(whole.encode())
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(packed[: len(packed) // 2])
    summary = importer(engine, batch_size=1000).import_file(cut)
    assert summary.unread is not None
    assert "cut.csv.gz: cannot read line " in summary.unread
    assert 0 < summary.accepted == summary.records < 20_000
    assert count(engine, m.Report.__table__) == summary.accepted
    with engine.connect() as conn:
        status = conn.execute(sa.select(m.IngestRun.status)).scalar_one()
    assert status == "incomplete"
    fixed = tmp_path / "fixed.csv.gz"
    fixed.write_bytes(packed)
    rest = importer(engine, batch_size=1000).import_file(fixed)
    assert rest.unread is None
    assert (rest.accepted, rest.duplicates) == (20_000 - summary.accepted, summary.accepted)
    assert count(engine, m.Report.__table__) == 20_000


def test_the_writer_stores_every_column_in_a_narrow_and_a_wide_batch(engine: Engine) -> None:
    """A batch without outcomes goes to SQLite as 12 values a row and the run as a parameter;
    one with an outcome goes whole. Both must store exactly the rows given."""
    from datetime import UTC, datetime

    from reportguard.ingest.writer import REPORT_COLUMNS, BulkWriter
    from reportguard.store.types import db_timestamp

    dialect = engine.dialect.name
    run = importer(engine)._start_run("writer test")  # the run the rows belong to
    when = db_timestamp(datetime(2026, 1, 2, 3, 4, 5, 600_000, tzinfo=UTC), dialect)

    def row(i: int, outcome: str | None) -> tuple[object, ...]:
        return (
            f"w-{i}", f"u-{i}", "t-1", f"c-{i}" if i % 2 else None, "spam", f"text {i}", when,
            "in_app", "https://ref.example/x" if i % 3 else None, "feed", f"ip{i}", None, run,
            outcome, when if outcome else None, None,
        )  # fmt: skip

    narrow = [row(i, None) for i in range(5)]
    wide = [row(i, "upheld") for i in range(5, 8)]
    writer = BulkWriter(engine)
    with engine.begin() as conn:
        assert writer.insert_reports(conn, narrow) == 5
        assert writer.insert_reports(conn, wide) == 3
        assert writer.insert_reports(conn, narrow[:2]) == 0  # duplicates
        stored = conn.execute(
            sa.text(f"SELECT {', '.join(REPORT_COLUMNS)} FROM reports ORDER BY report_id")
        ).all()
    assert [tuple(r) for r in stored] == sorted(narrow + wide)


@pytest.mark.postgres
def test_a_postgres_role_without_temp_tables_imports_row_by_row(
    postgres_url: str, tmp_path: Path
) -> None:
    """COPY stages reports in a temporary table; a least-privilege role without the TEMP
    privilege must still import (one insert per row), not fail at the first large batch."""
    import uuid

    from reportguard.ingest import writer
    from reportguard.store.database import create_engine

    owner = create_engine(postgres_url)  # creates the schema
    database = sa.make_url(postgres_url).database
    assert database is not None
    role = f"rg_notemp_{uuid.uuid4().hex[:8]}"
    with owner.begin() as conn:
        conn.execute(sa.text(f'REVOKE TEMPORARY ON DATABASE "{database}" FROM PUBLIC'))
        conn.execute(sa.text(f"CREATE ROLE {role} LOGIN"))
        conn.execute(sa.text(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}"))
        conn.execute(sa.text(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}"))
    url = sa.make_url(postgres_url).set(username=role, password=None)
    limited = create_engine(url.render_as_string(hide_password=False))
    try:
        rows = [report(i) for i in range(writer.COPY_MIN_ROWS)]
        path = write_jsonl(tmp_path / "r.jsonl", rows)
        limited_importer = importer(limited)
        assert limited_importer.import_file(path).accepted == writer.COPY_MIN_ROWS
        assert limited_importer.writer._may_stage is False
        assert limited_importer.import_file(path).duplicates == writer.COPY_MIN_ROWS
    finally:
        limited.dispose()
        with owner.begin() as conn:  # the role's grants, then the role (it spans databases)
            conn.execute(sa.text(f"DROP OWNED BY {role}"))
            conn.execute(sa.text(f"DROP ROLE {role}"))
        owner.dispose()
