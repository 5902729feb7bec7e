"""Disputes: accounts that report each other go to the dispute queue, unless someone else reported
the account too or the reason is grave; measured on hand-made cases and a simulated platform."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from tests.test_cli import run
from tests.test_triage import POLICY, T0, Platform, _case_id

from reportguard.evaluate.disputes import evaluate_disputes
from reportguard.moderation.review import claim, decide
from reportguard.store.models import Case, Notice, ReportVerdict
from reportguard.triage.cases import queue, refresh_cases


def _queue_of(engine: Engine, target: str) -> str:
    with Session(engine) as session:
        case = session.scalar(sa.select(Case).where(Case.target_id == target))
        assert case is not None
        return case.queue


def _quarrel(
    platform: Platform, a: str, b: str, *, rounds: int, gap: timedelta, reason: str
) -> None:
    for i in range(rounds):
        reporter, target = (a, b) if i % 2 == 0 else (b, a)
        platform.report(reporter, target, at=T0 + i * gap, reason=reason)


def test_two_accounts_reporting_each_other_are_a_dispute(engine: Engine) -> None:
    platform = Platform(engine)
    _quarrel(platform, "ann", "bob", rounds=4, gap=timedelta(hours=3), reason="harassment")
    platform.report("x1", "villain", at=T0, reason="harassment")  # an ordinary case beside it
    platform.store()
    refresh_cases(engine, policy=POLICY, now=T0 + timedelta(days=1))
    assert _queue_of(engine, "ann") == "dispute"
    assert _queue_of(engine, "bob") == "dispute"
    assert [c.target_id for c in queue(engine)] == ["villain"]  # the violation queue
    disputes = queue(engine, queue="dispute")
    assert sorted(c.target_id for c in disputes) == ["ann", "bob"]
    why = disputes[0].explanation["sentences"][0]
    assert why.startswith("Dispute: ")
    assert "4 reports both ways" in why


@pytest.mark.parametrize(
    ("gap", "reason", "outsider", "expected"),
    [
        (timedelta(days=10), "harassment", False, "violation"),  # back only after the window
        (timedelta(hours=2), "violence", False, "violation"),  # threats stay violations
        (timedelta(hours=2), "harassment", True, "violation"),  # someone else reported too
        (timedelta(hours=2), "spam", False, "dispute"),
    ],
)
def test_what_keeps_a_case_in_the_violation_queue(
    engine: Engine, gap: timedelta, reason: str, outsider: bool, expected: str
) -> None:
    platform = Platform(engine)
    _quarrel(platform, "ann", "bob", rounds=2, gap=gap, reason=reason)
    if outsider:
        platform.report("carol", "bob", at=T0, reason=reason)
    platform.store()
    refresh_cases(engine, policy=POLICY, now=T0 + timedelta(days=20))
    assert _queue_of(engine, "bob") == expected


def test_a_dispute_decided_as_one_tells_both_sides_about_blocking(engine: Engine) -> None:
    platform = Platform(engine)
    _quarrel(platform, "ann", "bob", rounds=3, gap=timedelta(hours=1), reason="harassment")
    platform.store()
    refresh_cases(engine, policy=POLICY, now=T0 + timedelta(days=1))
    for target in ("ann", "bob"):
        case_id = _case_id(engine, target)
        claim(engine, case_id, "mod-a", policy=POLICY, now=T0)
        decide(engine, case_id, "mod-a", outcome="dispute", policy=POLICY, now=T0)
    with Session(engine) as session:
        notices = list(session.scalars(sa.select(Notice).where(Notice.kind == "report_outcome")))
        assert session.scalar(sa.select(sa.func.count()).select_from(ReportVerdict)) == 0
    assert sorted(n.recipient_id for n in notices) == ["ann", "bob"]
    for notice in notices:
        assert "disagreement" in notice.title
        assert "Block:" in notice.body
        assert "Restrict comments:" in notice.body


def test_routing_on_a_simulated_platform(small_simulation: Path) -> None:
    run_ = evaluate_disputes(small_simulation)
    assert run_.pairs["planted"] > 0
    assert run_.pairs["recall"] >= 0.9
    assert run_.pairs["precision"] >= 0.9
    assert run_.cases["precision"] >= 0.9
    assert run_.cases["recall"] >= 0.8
    assert run_.cases["violating_accounts_routed"] == 0
    queue_ = run_.violation_queue
    assert queue_["reports_after"] < queue_["reports_before"]
    assert queue_["dispute_reports_still_in_violation_queue"] < queue_["dispute_reports"]


def test_evaluate_disputes_command(
    small_simulation: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run(
        capsys, "evaluate", str(small_simulation), "--disputes", "--json", str(tmp_path / "d.json")
    )
    assert code == 0
    assert "cases routed to the dispute queue" in out
    assert "Violating accounts routed to the dispute queue: 0" in out
    assert (tmp_path / "d.json").is_file()
