"""Whole lives through enforcement, misuse, appeals, remediation, webhooks and transparency."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from standardwebhooks import Webhook
from tests.test_triage import (
    OWN_WORDS,
    POLICY,
    T0,
    Platform,
    _case_id,
    _plant_campaign,
    credible_history,
)

from reportguard.enforce.carry_out import active_points
from reportguard.moderation.appeals import AppealError, decide_appeal, file_appeal
from reportguard.moderation.automation import auto_enforce
from reportguard.moderation.campaigns import judge_campaign
from reportguard.moderation.review import claim, decide
from reportguard.outbox.webhooks import Dispatcher
from reportguard.oversight import transparency
from reportguard.policy import PolicyError, load_policy
from reportguard.store import audit
from reportguard.store.models import (
    Action,
    Appeal,
    ReportingRestriction,
    Strike,
    WebhookAttempt,
    WebhookDelivery,
)
from reportguard.triage.cases import queue, refresh_cases

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def _work(engine: Engine, target: str, moderator: str, outcome: str, now: Any, **kw: Any) -> Any:
    refresh_cases(engine, policy=POLICY, now=now)
    case_id = _case_id(engine, target)
    claim(engine, case_id, moderator, policy=POLICY, now=now)
    return decide(engine, case_id, moderator, outcome=outcome, policy=POLICY, now=now, **kw)


def _brigade_rounds(
    platform: Platform, members: list[str], rounds: range, *, at: Any
) -> list[dict[str, Any]]:
    """The brigade reports a new victim per round; each case is decided with every report
    marked manifestly unfounded. Returns the misuse measures taken."""
    engine = platform.engine
    for round_ in rounds:
        for member in members:
            platform.report(
                member, f"victim{round_}", at=at + timedelta(minutes=round_), reason="harassment"
            )
    platform.store()
    measures: list[dict[str, Any]] = []
    for round_ in rounds:
        refresh_cases(engine, policy=POLICY, now=at)
        case_id = _case_id(engine, f"victim{round_}")
        claim(engine, case_id, "mod-c", policy=POLICY, now=at)
        with Session(engine) as session:
            rids = session.scalars(
                sa.text(
                    "SELECT r.report_id FROM reports r JOIN case_reports cr ON cr.report_pk = r.id "
                    "WHERE cr.case_id = :c"
                ),
                {"c": case_id},
            ).all()
        outcome = decide(
            engine,
            case_id,
            "mod-c",
            outcome="no_violation",
            policy=POLICY,
            now=at,
            unfounded=list(rids),
        )
        measures.extend(outcome.misuse)
    return measures


def test_brigade_suspension_is_reversed_and_the_brigaders_lose_their_reporting(
    engine: Engine,
) -> None:
    platform = Platform(engine)
    members = [platform.account(f"sock{i}", age_days=3) for i in range(12)]
    # The innocent account already had points: the brigade's case pushes it to a suspension.
    for i, member in enumerate(members):
        platform.report(
            member,
            "innocent",
            at=T0 + timedelta(minutes=i),
            reason="violence",
            text="he threatened people, ban him now",
        )
    platform.store()
    with Session(engine) as session, session.begin():
        session.add(
            Strike(
                account_id="innocent",
                category="spam",
                points=3,
                issued_at=T0,
                expires_at=T0 + timedelta(days=90),
            )
        )
    result = _work(engine, "innocent", "mod-a", "violation", T0 + timedelta(hours=1))
    assert result.action["kind"] == "ban" or result.action["kind"] == "suspend"
    action_key = result.action["action_id"]
    now = T0 + timedelta(days=1)
    campaign_id = _plant_campaign(engine, "innocent", members)
    confirmed = judge_campaign(
        engine, campaign_id, "mod-b", status="confirmed", policy=POLICY, now=now
    )
    assert confirmed["reports_marked_unfounded"] == 0  # they were judged (upheld) already
    assert len(confirmed["remediation_appeals"]) == 1
    appeal_id = confirmed["remediation_appeals"][0]
    with pytest.raises(AppealError, match="another moderator"):
        decide_appeal(engine, appeal_id, "mod-a", outcome="overturned", policy=POLICY, now=now)
    done = decide_appeal(engine, appeal_id, "mod-b", outcome="overturned", policy=POLICY, now=now)
    assert done["action_reversed"] == action_key
    assert done["strikes_expunged"] == 1
    assert all(c["after"] < c["before"] for c in done["credibility"])
    with Session(engine) as session:
        action = session.scalar(sa.select(Action).where(Action.action_key == action_key))
        assert action.status == "reversed"
        assert active_points(session, "innocent", now) == 3  # only the older, real strike
        events = session.scalars(sa.select(WebhookDelivery.event_type)).all()
    assert events.count("action.reversed") == 1

    # The same brigade comes back at other victims: its reports are judged unfounded this time.
    later = now + timedelta(days=2)
    measures = _brigade_rounds(platform, members, range(3), at=later)
    kinds = {m["kind"] for m in measures}
    assert kinds == {"warning"}  # 3 unfounded each out of 4 decided: warned first
    measures += _brigade_rounds(platform, members, range(3, 6), at=later)
    suspended = {m["reporter_id"] for m in measures if m["kind"] == "suspension"}
    assert suspended == set(members)
    # Their new reports are not heard while the suspension runs.
    platform.report(members[0], "someone", at=later + timedelta(hours=1))
    platform.report("bystander", "someone", at=later + timedelta(hours=1))
    platform.store()
    refresh_cases(engine, policy=POLICY, now=later + timedelta(hours=2))
    case = next(c for c in queue(engine, limit=50) if c.target_id == "someone")
    assert case.n_voices == 1
    # A suspension can itself be appealed, by the reporter, to another moderator.
    with Session(engine) as session:
        restriction = session.scalars(
            sa.select(ReportingRestriction).where(
                ReportingRestriction.reporter_id == members[0],
                ReportingRestriction.kind == "suspension",
            )
        ).one()
    appeal = file_appeal(
        engine, appellant=members[0], restriction_id=restriction.id, policy=POLICY, now=later
    )
    with pytest.raises(AppealError, match="another moderator"):
        decide_appeal(engine, appeal.id, "mod-c", outcome="overturned", policy=POLICY, now=later)
    decide_appeal(engine, appeal.id, "mod-d", outcome="upheld", policy=POLICY, now=later)
    assert audit.verify(engine).ok


def test_a_violator_climbs_the_ladder_and_strikes_expire_on_time(engine: Engine) -> None:
    platform = Platform(engine)
    kinds, now = [], T0
    for i in range(5):
        now = T0 + timedelta(days=i * 5)
        platform.report("witness", "violator", at=now, reason="harassment")
        platform.store()
        result = _work(engine, "violator", "mod-a", "violation", now)
        kinds.append((result.action["kind"], result.action["feature"]))
    assert kinds == [
        ("warn", None),
        ("restrict", "comments"),
        ("restrict", "uploads"),
        ("suspend", None),
        ("suspend", None),
    ]
    with Session(engine) as session:
        assert active_points(session, "violator", now) == 5
        assert active_points(session, "violator", T0 + timedelta(days=91)) == 4
        assert (
            active_points(session, "violator", now + timedelta(days=POLICY.strikes.expiry_days))
            == 0
        )
    # After the strikes expired, the next violation starts at the bottom again.
    later = now + timedelta(days=POLICY.strikes.expiry_days + 1)
    platform.report("witness", "violator", at=later, reason="harassment")
    platform.store()
    result = _work(engine, "violator", "mod-a", "violation", later)
    assert result.action["kind"] == "warn"
    statement = result.action["statement_of_reasons"]
    for key in (
        "restriction",
        "duration_days",
        "facts_and_circumstances",
        "source",
        "automated_decision",
        "clause",
        "redress",
    ):
        assert key in statement
    assert statement["source"].startswith("notices")
    assert statement["automated_decision"] is False


def test_appeal_by_the_original_decider_is_refused_and_overturn_reverses(engine: Engine) -> None:
    platform = Platform(engine)
    platform.report("r1", "acct", at=T0, reason="spam")
    platform.store()
    result = _work(engine, "acct", "mod-a", "violation", T0)
    key = result.action["action_id"]
    with pytest.raises(AppealError, match="only the affected account"):
        file_appeal(engine, appellant="someone-else", action_key=key, policy=POLICY, now=T0)
    appeal = file_appeal(
        engine,
        appellant="acct",
        action_key=key,
        statement="it was a joke",
        policy=POLICY,
        now=T0 + timedelta(days=1),
    )
    with pytest.raises(AppealError, match="already open"):
        file_appeal(engine, appellant="acct", action_key=key, policy=POLICY, now=T0)
    with pytest.raises(AppealError, match="another moderator"):
        decide_appeal(engine, appeal.id, "mod-a", outcome="overturned", policy=POLICY)
    decide_appeal(engine, appeal.id, "mod-b", outcome="overturned", policy=POLICY)
    with Session(engine) as session:
        assert session.get(Appeal, appeal.id).status == "overturned"
        assert active_points(session, "acct", T0) == 0
    late = T0 + timedelta(days=POLICY.appeals.window_days + 1)
    platform.report("r1", "acct2", at=T0, reason="spam")
    platform.store()
    other = _work(engine, "acct2", "mod-a", "violation", T0)
    with pytest.raises(AppealError, match="window"):
        file_appeal(
            engine, appellant="acct2", action_key=other.action["action_id"], policy=POLICY, now=late
        )


def test_a_reporter_contests_a_decision_not_to_act(engine: Engine) -> None:
    platform = Platform(engine)
    platform.report("victim", "bully", at=T0, reason="harassment")
    platform.store()
    result = _work(engine, "bully", "mod-a", "no_violation", T0)
    assert result.action is None
    appeal = file_appeal(
        engine, appellant="victim", decision_id=result.decision_id, policy=POLICY, now=T0
    )
    done = decide_appeal(engine, appeal.id, "mod-b", outcome="overturned", policy=POLICY, now=T0)
    assert done["action"]
    assert done["credibility"][0]["after"] > done["credibility"][0]["before"]


def test_automatic_action_only_where_allowed_and_never_when_shielded(engine: Engine) -> None:
    policy = POLICY.model_copy(
        update={
            "automation": POLICY.automation.model_copy(
                update={"enabled": True, "min_priority": -10.0, "min_voices": 1}
            )
        }
    )
    platform = Platform(engine)
    platform.report("a", "spammer", at=T0, reason="spam")
    platform.report("b", "spammer", at=T0, reason="spam")
    platform.report("a", "harasser", at=T0, reason="harassment")  # not automatable
    for i in range(3):
        platform.report(f"sock{i}", "shielded-spammer", at=T0, reason="spam")
    platform.store()
    _plant_campaign(engine, "shielded-spammer", [f"sock{i}" for i in range(3)])
    refresh_cases(engine, policy=policy, now=T0)
    done = auto_enforce(engine, policy=policy, now=T0)
    assert [d["target_id"] for d in done] == ["spammer"]
    assert done[0]["action"]["automated"] is True
    assert done[0]["action"]["statement_of_reasons"]["automated_decision"] is True
    assert auto_enforce(engine, policy=POLICY, now=T0) == []  # off by default


def test_automation_never_rests_on_the_number_of_voices_alone(engine: Engine) -> None:
    """A thousand strangers rank a case high, but only reporters' records may automate it."""
    policy = POLICY.model_copy(
        update={"automation": POLICY.automation.model_copy(update={"enabled": True})}
    )
    platform = Platform(engine)
    credible = [platform.account(f"flagger{i}", age_days=400) for i in range(3)]
    credible_history(platform, credible, upheld=6)
    for i in range(1000):
        stranger = platform.account(f"stranger{i}", age_days=400)
        # No shared text, address or device: a thousand independent voices.
        platform.report(stranger, "crowd-spammer", at=T0, reason="spam", text=None)
    for reporter, words in zip(credible, OWN_WORDS, strict=False):
        platform.report(reporter, "proven-spammer", at=T0, reason="spam", text=words)
    platform.store()
    refresh_cases(engine, policy=policy, now=T0)
    cases = {c.target_id: c for c in queue(engine, limit=10)}
    crowd = cases["crowd-spammer"]
    assert crowd.priority >= policy.automation.min_priority, crowd.explanation
    assert crowd.explanation["proven_priority"] < policy.automation.min_priority  # ... unproven
    done = auto_enforce(engine, policy=policy, now=T0)
    assert [d["target_id"] for d in done] == ["proven-spammer"]


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []
    fail_first = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        if _Receiver.fail_first > 0:
            _Receiver.fail_first -= 1
            self.send_response(503)
            self.end_headers()
            return
        payload = Webhook(SECRET).verify(body, dict(self.headers))  # raises if the signature lies
        _Receiver.received.append(payload)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[HTTPServer]:
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    _Receiver.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_webhooks_survive_a_receiver_that_is_down_for_a_while(
    engine: Engine, receiver: HTTPServer
) -> None:
    platform = Platform(engine)
    for i in range(3):
        platform.report("w", f"acct{i}", at=T0, reason="spam")
    platform.store()
    for i in range(3):
        _work(engine, f"acct{i}", "mod-a", "violation", T0)
    url = f"http://127.0.0.1:{receiver.server_address[1]}/hooks"
    # Down: nothing listens on this port.
    down = Dispatcher(engine, url="http://127.0.0.1:9/hooks", secret=SECRET, timeout=1)
    report = down.deliver_due(now=T0)
    # each decision: the action, its statement of reasons to the account, the reporter's outcome
    assert report.failed == 9
    assert report.delivered == 0
    # Up but failing twice, then fine: retried after the backoff, each event once.
    _Receiver.fail_first = 2
    dispatcher = Dispatcher(engine, url=url, secret=SECRET)
    assert dispatcher.deliver_due(now=T0).attempted == 0  # not due yet: backoff
    t = T0
    for _ in range(6):
        t += timedelta(minutes=5)
        dispatcher.deliver_due(now=t)
    kinds = Counter(p["type"] for p in _Receiver.received)
    assert kinds == {"action.created": 3, "notice.action_taken": 3, "notice.report_outcome": 3}
    actions = [p["data"] for p in _Receiver.received if p["type"] == "action.created"]
    assert sorted(a["account_id"] for a in actions) == ["acct0", "acct1", "acct2"]
    with Session(engine) as session:
        assert set(session.scalars(sa.select(WebhookDelivery.status))) == {"delivered"}
        assert session.scalar(sa.select(sa.func.count()).select_from(WebhookAttempt)) == 9 + 2 + 9
    assert dispatcher.deliver_due(now=t + timedelta(hours=2)).attempted == 0  # nothing twice


def test_transparency_export_counts_what_happened(engine: Engine, tmp_path: Path) -> None:
    platform = Platform(engine)
    platform.report("a", "x", at=T0, reason="spam")
    platform.report("b", "y", at=T0, reason="harassment")
    platform.store()
    _work(engine, "x", "mod-a", "violation", T0 + timedelta(hours=2))
    _work(engine, "y", "mod-a", "no_violation", T0 + timedelta(hours=4))
    data = transparency.figures(engine, start=T0 - timedelta(days=1), end=T0 + timedelta(days=1))
    assert data["reports_by_reason"] == {"harassment": 1, "spam": 1}
    assert data["decisions_by_outcome"] == {"violation": 1, "no_violation": 1}
    assert data["median_hours_to_decision"] == 3.0
    assert data["actions_by_type"] == {"warn": 1}
    assert data["actions_by_humans"] == 1
    json_path, csv_path = transparency.write(data, tmp_path)
    assert json.loads(json_path.read_text())["reports_total"] == 2
    assert "actions_by_type,warn,1" in csv_path.read_text()


def test_policy_check_explains_each_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'name = "x"\nversion = "1"\n[strikes]\nexpiry_days = 0\n'
        '[reasons.other]\nseverity = 9\npoints = 1\nclause = "c"\n'
        '[[ladder]]\nmin_points = 2\naction = "suspend"\n'
        '[[ladder]]\nmin_points = 1\naction = "warn"\n'
        "[misuse]\nwarn_aftr = 3\n"
    )
    with pytest.raises(PolicyError) as error:
        load_policy(bad)
    message = str(error.value)
    for expected in (
        "strikes.expiry_days",
        "reasons.other.severity",
        "ladder.0",
        "needs days",
        "misuse.warn_aftr: not a policy setting",
    ):
        assert expected in message, message
    (tmp_path / "broken.toml").write_text("name = ")
    with pytest.raises(PolicyError, match="not valid TOML"):
        load_policy(tmp_path / "broken.toml")


def test_a_policy_change_is_written_to_the_audit_log(engine: Engine) -> None:
    platform = Platform(engine)
    for target in ("a", "b", "c"):
        platform.report("r", target, at=T0, reason="spam")
    platform.store()
    stricter = POLICY.model_copy(update={"version": "2026-12-01"})
    for target, policy in (("a", POLICY), ("b", POLICY), ("c", stricter)):
        refresh_cases(engine, policy=policy, now=T0)
        case_id = _case_id(engine, target)
        claim(engine, case_id, "mod-a", policy=policy, now=T0)
        decide(engine, case_id, "mod-a", outcome="no_violation", policy=policy, now=T0)
    with Session(engine) as session:
        rows = session.execute(
            sa.text("SELECT subject_id, payload FROM audit_log WHERE event = 'policy' ORDER BY seq")
        ).all()
    assert [r[0] for r in rows] == [
        "ReportGuard default policy 2026-11-24",
        "ReportGuard default policy 2026-12-01",
    ]
    assert audit.verify(engine).ok
