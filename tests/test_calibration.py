"""P(violation) refitted on the platform's decided cases (Platt), on a real database."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from tests.conftest import TEST_KEY

from reportguard.ingest.hashing import IdentifierHasher
from reportguard.ingest.importer import Importer
from reportguard.policy import load_policy
from reportguard.store.models import Case, Decision
from reportguard.triage.calibration import fit_platt
from reportguard.triage.cases import decided_calibration, decided_case_rate, refresh_cases

POLICY = load_policy()
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _decided(engine: Engine, evidence: np.ndarray, violation: np.ndarray) -> None:
    """Closed cases that had ``evidence`` when a moderator ruled on them."""
    with Session(engine) as session, session.begin():
        for i, (x, y) in enumerate(zip(evidence, violation, strict=True)):
            case = Case(
                target_id=f"old-{i}", status="decided", priority=float(x),
                explanation={"evidence": float(x)}, opened_at=NOW - timedelta(days=9),
                updated_at=NOW - timedelta(days=8),
            )  # fmt: skip
            session.add(case)
            session.flush()
            session.add(
                Decision(
                    case_id=case.id, moderator="m", outcome="violation" if y else "no_violation",
                    policy_clause=None, reason=None, decided_at=NOW - timedelta(days=8),
                )
            )  # fmt: skip


def test_platt_stays_at_the_identity_without_evidence_against_it() -> None:
    # Decisions that agree with the stated model leave it as it is.
    rng = np.random.default_rng(3)
    x = rng.normal(-1, 2, 3000)
    y = rng.random(3000) < 1 / (1 + np.exp(-x))
    fit = fit_platt(x, y)
    assert fit.slope == pytest.approx(1.0, abs=0.1)
    assert fit.intercept == pytest.approx(0.0, abs=0.1)
    # All decisions alike: the fit stays finite (target smoothing, prior) and says "likely".
    alike = fit_platt(x[:60], np.ones(60, dtype=bool))
    assert abs(alike.slope) < 2.0
    assert alike.probability(x[:60]).min() > 0.8


def test_decided_cases_refit_what_a_new_case_probability_means(engine: Engine) -> None:
    rng = np.random.default_rng(7)
    few = rng.uniform(-4, 4, 40)
    _decided(engine, few, rng.random(40) < 0.5)
    with Session(engine) as session:
        assert decided_calibration(session).cases == 0  # fewer than 50: the stated priors

    # The platform's moderators uphold less than the stated model predicts: P = s(0.5 x - 1).
    x = rng.uniform(-4, 4, 400)
    _decided(engine, x, rng.random(400) < 1 / (1 + np.exp(-(0.5 * x - 1))))
    with Session(engine) as session:
        fit = decided_calibration(session)
        rate = decided_case_rate(session, POLICY)
    assert fit.cases == 440
    assert fit.slope == pytest.approx(0.5, abs=0.2)
    assert fit.intercept == pytest.approx(-1.0, abs=0.35)
    assert 0.2 < rate < 0.5

    Importer(engine, IdentifierHasher(TEST_KEY.encode())).import_records(
        [("1", {"report_id": "n1", "reporter_id": "u1", "target_id": "fresh-target",
                "reason": "spam", "created_at": NOW.isoformat()})],
        source="test",
    )  # fmt: skip
    refresh_cases(engine, policy=POLICY, now=NOW + timedelta(hours=1))
    with Session(engine) as session:
        case = session.scalars(sa.select(Case).where(Case.target_id == "fresh-target")).one()
    explanation = case.explanation
    expected = 1 / (1 + math.exp(-(fit.slope * explanation["evidence"] + fit.intercept)))
    assert explanation["probability"] == pytest.approx(expected, abs=1e-4)
    assert "fitted on 440 decided cases" in " ".join(explanation["sentences"])
