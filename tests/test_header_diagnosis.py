"""A foreign header fails fast with one helpful message, and a rejects file never outgrows its
input; raw identifiers under any column the mapping sends to ip or device are redacted."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from tests.conftest import TEST_KEY
from tests.helpers import report, write_jsonl
from tests.test_cli import run

from reportguard.ingest.diagnose import HeaderMismatchError, diagnose_header
from reportguard.ingest.hashing import IdentifierHasher
from reportguard.ingest.importer import Importer
from reportguard.store import models as m

FOREIGN = ["id", "flagger", "reported_user", "category", "timestamp", "ip_address"]


def foreign_csv(path: Path, rows: int) -> Path:
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(FOREIGN)
        for n in range(rows):
            out.writerow([f"r{n}", f"u{n % 500}", f"t{n % 40}", "spam",
                          "2026-10-01T00:00:00Z", f"198.51.100.{n % 250}"])  # fmt: skip
    return path


def importer(engine: Engine, **kwargs: object) -> Importer:
    return Importer(engine, IdentifierHasher(TEST_KEY.encode()), **kwargs)  # type: ignore[arg-type]


def test_a_foreign_header_of_200000_rows_fails_fast_with_one_message(
    sqlite_engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = foreign_csv(tmp_path / "export.csv", 200_000)
    code, _, err = run(capsys, "--db", str(tmp_path / "rg.db"), "ingest", str(path))
    assert code == 2
    message = " ".join(err.split())
    assert (
        "none of the first 100 records has report_id, reporter_id, target_id, reason and "
        "created_at (required for a report)" in message
    )
    assert "Columns seen: id, flagger, reported_user, category, timestamp, ip_address" in message
    assert (
        "--map id=report_id --map flagger=reporter_id --map reported_user=target_id "
        "--map category=reason --map timestamp=created_at" in message
    )
    assert err.count("required field is missing") == 0  # one message, not a line per row
    rejects = tmp_path / "export.csv.rejects.jsonl"
    lines = rejects.read_text().splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["suggested_map"]["flagger"] == "reporter_id"
    assert rejects.stat().st_size < 2_000
    assert "198.51.100" not in rejects.read_text()


def test_the_suggested_map_then_imports_the_file(sqlite_engine: Engine, tmp_path: Path) -> None:
    path = foreign_csv(tmp_path / "export.csv", 300)
    with pytest.raises(HeaderMismatchError):
        importer(sqlite_engine).import_file(path)
    mapping = {"id": "report_id", "flagger": "reporter_id", "reported_user": "target_id",
               "category": "reason", "timestamp": "created_at", "ip_address": "ip"}  # fmt: skip
    summary = importer(sqlite_engine, field_map=mapping).import_file(path)
    assert (summary.accepted, summary.rejected) == (300, 0)


def test_a_partly_foreign_file_names_only_what_is_missing() -> None:
    records = [{**report(n), "when": report(n)["created_at"]} for n in range(5)]
    for r in records:
        del r["created_at"]
    found = diagnose_header(records)
    assert found is not None
    assert found.missing == ["created_at"]
    assert found.suggestions == {"created_at": "when"}
    assert diagnose_header([report(1), {**report(2), "reason": ""}]) is None


def test_accounts_and_an_explicit_kind_are_diagnosed_too() -> None:
    found = diagnose_header([{"user": "u1", "joined": "2020-01-01"}], kind="account")
    assert found is not None
    assert found.missing == ["account_id", "created_at"]
    assert found.suggestions == {"account_id": "user"}


def test_a_rejects_file_never_outgrows_its_input(sqlite_engine: Engine, tmp_path: Path) -> None:
    # Valid header, every row bad: no diagnosis, but the rejects file stops at the input's size.
    records = [report(n, created_at="soon") if n else report(n) for n in range(3000)]
    path = write_jsonl(tmp_path / "r.jsonl", records)
    summary = importer(sqlite_engine).import_file(path)
    assert summary.rejected == 2999
    assert summary.rejects_path is not None
    assert summary.rejects_path.stat().st_size <= path.stat().st_size
    last = json.loads(summary.rejects_path.read_text().splitlines()[-1])
    assert "more rejected records are not written" in last["errors"][0]["message"]


def test_mapped_identifiers_are_redacted_in_rejects(sqlite_engine: Engine, tmp_path: Path) -> None:
    bad = {**report(1, created_at="never"), "client_addr": "203.0.113.77", "hw": "phone-123"}
    del bad["ip"], bad["device"]
    path = write_jsonl(tmp_path / "r.jsonl", [report(2), bad])
    mapping = {"client_addr": "ip", "hw": "device"}
    summary = importer(sqlite_engine, field_map=mapping).import_file(path)
    (line,) = summary.rejects_path.read_text().splitlines()  # type: ignore[union-attr]
    entry = json.loads(line)
    assert entry["record"]["client_addr"] == "[redacted]"  # under the file's own column name
    assert entry["record"]["hw"] == "[redacted]"
    assert "203.0.113.77" not in line
    assert "phone-123" not in line
    with sqlite_engine.connect() as conn:
        stored = conn.scalar(sa.select(m.Report.ip_hash))
    assert stored == IdentifierHasher(TEST_KEY.encode()).ip(report(2)["ip"])
