"""Imported history: a platform's own past outcomes become its reporters' track records."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from tests.conftest import TEST_KEY
from tests.helpers import write_jsonl
from tests.test_cli import run

from reportguard.ingest.hashing import IdentifierHasher
from reportguard.ingest.importer import Importer
from reportguard.ingest.validate import RecordError, validate_record
from reportguard.pipeline.imports import read_outcomes
from reportguard.policy import load_policy
from reportguard.store.database import create_engine
from reportguard.store.models import Case, ImportedRuling, Report, ReporterCredibility
from reportguard.triage.cases import decided_case_rate, refresh_cases

POLICY = load_policy()
HALF_LIFE = timedelta(days=POLICY.credibility.half_life_days)
T0 = datetime(2026, 1, 2, tzinfo=UTC)


def _report(rid: str, reporter: str, target: str, filed: datetime, **extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "report_id": rid,
        "reporter_id": reporter,
        "target_id": target,
        "reason": "spam",
        "created_at": filed.isoformat(),
    }
    for key, value in extra.items():
        record[key] = value.isoformat() if isinstance(value, datetime) else value
    return record


def _store(engine: Engine, records: list[dict[str, Any]]) -> None:
    pairs = [(f"line {i + 1}", r) for i, r in enumerate(records)]
    summary = Importer(engine, IdentifierHasher(TEST_KEY.encode())).import_records(
        pairs, source="test"
    )
    assert summary.rejected == 0


def _record(engine: Engine, reporter: str, reason: str = "") -> tuple[float, float, datetime]:
    with Session(engine) as session:
        row = session.get_one(ReporterCredibility, (reporter, reason))
        return row.upheld, row.rejected, row.updated_at


@pytest.mark.parametrize(
    ("extra", "field", "words"),
    [
        ({"outcome": "upheld"}, "resolved_at", "required when outcome is given"),
        ({"resolved_at": "2026-01-03T00:00:00Z"}, "outcome", "required when resolved_at"),
        ({"outcome": "maybe", "resolved_at": "2026-01-03T00:00:00Z"}, "outcome", "not an outcome"),
        ({"outcome": "upheld", "resolved_at": "2026-01-01T00:00:00Z"}, "resolved_at", "before"),
    ],
)
def test_an_outcome_needs_a_known_word_and_a_time_after_the_report(
    extra: dict[str, str], field: str, words: str
) -> None:
    raw = _report("r", "a", "b", T0, **extra)
    with pytest.raises(RecordError) as caught:
        validate_record(raw)
    assert [e.field for e in caught.value.errors] == [field]
    assert words in caught.value.errors[0].message


def test_outcomes_build_decayed_records_and_late_reports_do_not_count(engine: Engine) -> None:
    # h1 was right twice, 180 days (one half-life) apart; "late" piled onto a target already
    # upheld; y reported c, which was cleared, and x reported c again after it was cleared.
    second = T0 + HALF_LIFE
    _store(
        engine,
        [
            _report("r1", "h1", "a", T0 - timedelta(days=1), outcome="upheld", resolved_at=T0),
            _report(
                "r2", "h1", "b", second - timedelta(hours=2), outcome="Upheld", resolved_at=second
            ),
            _report(
                "r3",
                "late",
                "a",
                T0 + timedelta(days=3),
                outcome="upheld",
                resolved_at=T0 + timedelta(days=4),
            ),
            _report(
                "r4",
                "y",
                "c",
                T0 - timedelta(days=2),
                outcome="rejected",
                resolved_at=T0 + timedelta(days=1),
            ),
            _report(
                "r5",
                "x",
                "c",
                T0 + timedelta(days=3),
                outcome="rejected",
                resolved_at=T0 + timedelta(days=5),
            ),
            _report("open-1", "z", "d", second),
        ],
    )
    summary = read_outcomes(engine, policy=POLICY)
    assert (summary.read, summary.counted, summary.late, summary.targets) == (5, 3, 2, 3)

    upheld, rejected, updated = _record(engine, "h1")
    assert updated == second  # the reference time: the latest outcome
    assert upheld == pytest.approx(1.5)  # 1 + 0.5 for the one a half-life older
    assert rejected == 0
    assert _record(engine, "h1", "spam")[0] == pytest.approx(1.5)
    y_rejected = _record(engine, "y")[1]
    assert y_rejected == pytest.approx(0.5 ** ((second - (T0 + timedelta(days=1))) / HALF_LIFE))
    with Session(engine) as session:
        assert session.get(ReporterCredibility, ("late", "")) is None
        assert session.get(ReporterCredibility, ("x", "")) is None
        flags = dict(session.execute(sa.select(Report.report_id, Report.history_counted)).all())
        assert flags == {
            "r1": True,
            "r2": True,
            "r3": False,
            "r4": True,
            "r5": False,
            "open-1": None,
        }
        rulings = {r.target_id: r.violation for r in session.scalars(sa.select(ImportedRuling))}
        assert rulings == {"a": True, "b": True, "c": False}

    # Resolved reports are history, not cases: only the report without an outcome opens one.
    refresh_cases(engine, policy=POLICY, now=second + timedelta(days=1))
    with Session(engine) as session:
        assert list(session.scalars(sa.select(Case.target_id))) == ["d"]

    # Reading again reads nothing and moves nothing.
    again = read_outcomes(engine, policy=POLICY)
    assert (again.read, again.counted) == (0, 0)
    assert _record(engine, "h1")[0] == pytest.approx(1.5)


def test_history_arriving_out_of_order_decays_exactly(engine: Engine) -> None:
    second = T0 + HALF_LIFE
    _store(engine, [_report("r2", "h1", "b", second, outcome="upheld", resolved_at=second)])
    read_outcomes(engine, policy=POLICY)
    # An older export arrives later: its outcome weighs what it would have weighed in order.
    older = T0 - HALF_LIFE
    _store(engine, [_report("r0", "h1", "e", older, outcome="upheld", resolved_at=older)])
    summary = read_outcomes(engine, policy=POLICY)
    assert summary.counted == 1
    upheld, _, updated = _record(engine, "h1")
    assert updated == second
    assert upheld == pytest.approx(1 + 0.25)


def test_imported_rulings_set_where_a_case_starts(engine: Engine) -> None:
    records = [
        _report(
            f"r{i}",
            f"u{i}",
            f"t{i}",
            T0,
            outcome="upheld" if i % 4 == 0 else "rejected",
            resolved_at=T0 + timedelta(days=1),
        )
        for i in range(60)
    ]
    with Session(engine) as session:
        assert decided_case_rate(session, POLICY) == POLICY.triage.case_prior
    _store(engine, records)
    read_outcomes(engine, policy=POLICY)
    with Session(engine) as session:
        assert decided_case_rate(session, POLICY) == pytest.approx(15 / 60)


def test_an_outcomes_file_alone_names_each_problem_and_keeps_what_is_stored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "rg.db")
    reports = write_jsonl(
        tmp_path / "reports.jsonl",
        [_report(f"r{i}", f"u{i % 3}", f"t{i}", T0) for i in range(4)]
        + [_report("r9", "u0", "t9", T0, outcome="rejected", resolved_at=T0)],
    )
    assert run(capsys, "--db", db, "ingest", str(reports))[0] == 0
    later = T0 + timedelta(days=2)
    outcome = {"outcome": "upheld", "resolved_at": later.isoformat()}
    path = write_jsonl(
        tmp_path / "outcomes.jsonl",
        [
            {"report_id": "r0", **outcome},
            {"report_id": "r0", **outcome},  # the same again: a duplicate
            {"report_id": "r1", "decision": "Rejected", "resolved_at": later.isoformat()},
            {"report_id": "nope", **outcome},
            {"report_id": "r9", **outcome},  # r9 was stored as rejected
            {"report_id": "r2", "outcome": "perhaps", "resolved_at": later.isoformat()},
            {"report_id": "r3", "outcome": "upheld", "resolved_at": "2025-12-01T00:00:00Z"},
        ],
    )
    code, out, err = run(capsys, "--db", db, "outcomes", str(path), "--map", "decision=outcome")
    assert code == 1
    assert "outcomes.jsonl" in out
    assert "History: 2 outcomes read, 2 counted" in out
    assert "outcomes.jsonl:4: report_id: no stored report has this id" in err
    assert "outcomes.jsonl:5: outcome: conflicts with the stored outcome rejected" in err
    assert "outcomes.jsonl:6: outcome: not an outcome" in err
    assert "outcomes.jsonl:7: resolved_at: before the report's created_at" in err
    rejects = [json.loads(line) for line in (tmp_path / "outcomes.jsonl.rejects.jsonl").open()]
    assert sorted(r["location"] for r in rejects) == ["line 4", "line 5", "line 6", "line 7"]

    engine = create_engine(f"sqlite:///{db}")
    try:
        with Session(engine) as session:
            stored = dict(session.execute(sa.select(Report.report_id, Report.outcome)).all())
        assert stored == {
            "r0": "upheld",
            "r1": "rejected",
            "r2": None,
            "r3": None,
            "r9": "rejected",
        }
        assert _record(engine, "u0")[0] == pytest.approx(1.0)  # r0; r9 was read at ingest
        assert _record(engine, "u1")[1] == pytest.approx(1.0)
    finally:
        engine.dispose()

    code, out, _ = run(capsys, "--db", db, "outcomes", str(path), "--map", "decision=outcome",
                       "--json")  # fmt: skip
    summary = json.loads(out)
    assert summary["files"][0]["stored"] == 0
    assert summary["files"][0]["duplicates"] == 3
    assert summary["history"]["read"] == 0


def test_an_imported_track_record_lifts_a_case_from_the_first_day(engine: Engine) -> None:
    # Reporters k0..k2 were right five times each on the platform before ReportGuard; s0..s2
    # never reported before. Each trio reports one new account the same way.
    past = [
        _report(f"h{i}-{r}", f"k{r}", f"old-{i}", T0 - timedelta(days=30 - i), outcome="upheld",
                resolved_at=T0 - timedelta(days=29 - i))
        for i in range(5)
        for r in range(3)
    ]  # fmt: skip
    now = [
        _report(f"n-{who}{r}", f"{who}{r}", f"new-{who}", T0 + timedelta(hours=r))
        for who in ("k", "s")
        for r in range(3)
    ]
    _store(engine, past + now)
    read_outcomes(engine, policy=POLICY)
    refresh_cases(engine, policy=POLICY, now=T0 + timedelta(days=1))
    with Session(engine) as session:
        priority = dict(session.execute(sa.select(Case.target_id, Case.priority)).all())
    assert set(priority) == {"new-k", "new-s"}
    assert priority["new-k"] > priority["new-s"] + 1.0
