"""Notices: each produced at the moment it is due, with the content it must carry and nothing of
the other party's, in the recipient's language or a fallback, from the operator's templates when
given, and put in the webhook outbox (delivery with retries: test_enforcement)."""

from __future__ import annotations

from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from tests.conftest import TEST_KEY
from tests.helpers import report
from tests.test_cli import run
from tests.test_enforcement import _brigade_rounds
from tests.test_triage import POLICY, T0, Platform, _case_id

from reportguard.access.keys import create_key
from reportguard.api import create_app
from reportguard.config import Settings
from reportguard.detect.campaigns import FoundCampaign
from reportguard.detect.persist import store_campaigns
from reportguard.errors import ConfigError
from reportguard.moderation.appeals import decide_appeal
from reportguard.moderation.campaigns import judge_campaign
from reportguard.moderation.review import claim, decide
from reportguard.notices.compose import acknowledge_pending
from reportguard.notices.templates import NoticeTemplates, notice_templates
from reportguard.policy import load_policy
from reportguard.store.models import Campaign, Notice, Report, WebhookDelivery
from reportguard.triage.cases import refresh_cases


def _notices(engine: Engine, **where: Any) -> list[Notice]:
    with Session(engine) as session:
        query = sa.select(Notice).order_by(Notice.id)
        for column, value in where.items():
            query = query.where(getattr(Notice, column) == value)
        return list(session.scalars(query))


def _decide(engine: Engine, target: str, outcome: str, moderator: str = "mod-a", **kw: Any) -> Any:
    refresh_cases(engine, policy=kw.get("policy", POLICY), now=T0)
    case_id = _case_id(engine, target)
    policy = kw.pop("policy", POLICY)
    claim(engine, case_id, moderator, policy=policy, now=T0)
    return decide(engine, case_id, moderator, outcome=outcome, policy=policy, now=T0, **kw)


def test_a_violation_tells_each_side_what_it_may_know(engine: Engine) -> None:
    platform = Platform(engine)
    for reporter in ("u1", "u2"):
        platform.report(reporter, "t-7731", at=T0, reason="harassment")
    platform.report("u1", "t-7731", at=T0 + timedelta(minutes=5), reason="harassment")
    platform.store()
    outcome = _decide(
        engine, "t-7731", "violation", reason="Insulted u1 in four replies, named the school."
    )
    assert outcome.action is not None

    (statement,) = _notices(engine, kind="action_taken")
    assert statement.recipient_id == "t-7731"
    assert statement.recipient_role == "account"
    sor = outcome.action["statement_of_reasons"]
    for field in ("restriction", "clause", "ground", "source", "territorial_scope"):
        assert str(sor[field]) in statement.body, field
    for redress in sor["redress"].values():
        assert redress in statement.body
    assert f"this adds {sor['strike']['points']} strike point" in statement.body
    assert sor["strike"]["expires"] in statement.data["statement"]["strike"]["expires"]
    assert "expire" in statement.body
    assert "Insulted u1" in statement.body  # the facts relied on

    outcomes = _notices(engine, kind="report_outcome")
    assert sorted(n.recipient_id for n in outcomes) == ["u1", "u2"]  # once per reporter
    for notice in outcomes:
        assert notice.title == "We took action on your report"
        text = notice.title + notice.body
        # nothing of the reported person's: not what was done, not their record, not the facts
        for private in (sor["restriction"], "strike", "Insulted", "suspend", "warning", "t-7731"):
            assert private not in text, private
        assert "block" not in text.lower()  # no safety tools after an upheld report
    with Session(engine) as session:
        events = session.execute(
            sa.select(WebhookDelivery.event_type, WebhookDelivery.payload).where(
                WebhookDelivery.event_type.like("notice.%")
            )
        ).all()
    assert sorted(t for t, _ in events) == [
        "notice.action_taken",
        "notice.report_outcome",
        "notice.report_outcome",
    ]
    assert {p["data"]["title"] for _, p in events} >= {statement.title}


@pytest.mark.parametrize(
    ("outcome", "reason", "title", "tools"),
    [
        ("no_violation", "spam", "We did not find a rule violation", True),
        ("no_violation", "hate_speech", "We did not find a rule violation", False),
        ("dispute", "hate_speech", "About your report: a disagreement, not a rule violation", True),
    ],
)
def test_reports_not_upheld_say_how_to_contest_and_when_tools_fit_better(
    engine: Engine, outcome: str, reason: str, title: str, tools: bool
) -> None:
    platform = Platform(engine)
    platform.report("u1", "someone", at=T0, reason=reason)
    platform.store()
    _decide(engine, "someone", outcome)
    (notice,) = _notices(engine, kind="report_outcome")
    assert notice.title == title
    assert ("Block:" in notice.body) is tools
    until = (T0 + timedelta(days=POLICY.appeals.window_days)).date().isoformat()
    assert f"look again until {until}" in notice.body
    assert not _notices(engine, kind="action_taken")


def _campaign(target: str, members: list[str], report_ids: list[str]) -> FoundCampaign:
    return FoundCampaign(
        key=f"k-{target}",
        members=members,
        targets=[target],
        report_ids=report_ids,
        first_report_at=T0,
        last_report_at=T0 + timedelta(minutes=30),
        score=0.95,
    )


def test_protection_then_reversal_for_the_target_of_a_campaign(engine: Engine) -> None:
    platform = Platform(engine)
    members = [f"m{i}" for i in range(8)]
    rids = [platform.report(m, "victim", at=T0, reason="harassment") for m in members]
    platform.store()
    store_campaigns(engine, [_campaign("victim", members, rids)], policy=POLICY)
    store_campaigns(engine, [_campaign("victim", members, rids)], policy=POLICY)  # again
    (protection,) = _notices(engine, kind="campaign_protection")
    assert protection.recipient_id == "victim"
    assert "8 reports from 8 accounts" in protection.body
    assert "will not lead to any automatic action" in protection.body

    # a moderator acted on the reports before seeing the campaign; confirming it reverses that
    _decide(engine, "victim", "violation")
    with Session(engine) as session:
        campaign_id = session.scalar(sa.select(Campaign.id))
    assert campaign_id is not None
    result = judge_campaign(engine, campaign_id, "mod-a", status="confirmed", policy=POLICY)
    (appeal_id,) = result["remediation_appeals"]
    decide_appeal(engine, appeal_id, "mod-b", outcome="overturned", policy=POLICY)
    (reversal,) = _notices(engine, kind="action_reversed")
    assert reversal.recipient_id == "victim"
    assert "reports from a coordinated campaign" in reversal.body
    assert "strike points it added have been removed" in reversal.body
    outcome_to_members = _notices(engine, kind="report_outcome")
    assert {n.recipient_id for n in outcome_to_members} == set(members)


def test_reporters_restricted_for_misuse_are_told_why_how_long_and_how_to_appeal(
    engine: Engine,
) -> None:
    platform = Platform(engine)
    members = [f"b{i}" for i in range(4)]
    measures = _brigade_rounds(platform, members, range(8), at=T0)
    kinds = {m["kind"] for m in measures}
    assert "warning" in kinds
    notices = _notices(engine, kind="misuse_measure")
    assert len(notices) == len(measures)
    for notice in notices:
        assert notice.recipient_id in members
        assert "were clearly unfounded" in notice.body
        assert "you can appeal until" in notice.body
    suspended = [n for n in notices if n.data["measure"] == "suspension"]
    for notice in suspended:
        assert "We will not process reports from you until" in notice.body


def test_receipts_for_reports_over_the_api_once_each(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    settings = Settings(database_url=db_url, secret_key=TEST_KEY)
    app = create_app(settings, live_detection=False)
    engine = app.state.engine
    key = create_key(engine, "platform", "ingest")[1]
    batch = {"records": [report(i, reporter_id=f"u{i}") for i in range(5)]}
    with TestClient(app) as client:
        headers = {"Authorization": f"Bearer {key}"}
        assert client.post("/v1/reports/batch", json=batch, headers=headers).status_code == 200
        assert client.post("/v1/reports/batch", json=batch, headers=headers).status_code == 200
    # not in the request: a separate step writes them (live detection, or webhook delivery)
    assert _notices(engine, kind="report_received") == []
    platform = Platform(engine)  # and reports imported from files get no receipt
    platform.report("fileuser", "t1", at=T0)
    platform.store()
    assert acknowledge_pending(engine, POLICY) == (5, _max_report_id(engine, "r-4"))
    assert acknowledge_pending(engine, POLICY)[0] == 0  # once each
    receipts = _notices(engine, kind="report_received")
    assert sorted(n.recipient_id for n in receipts) == [f"u{i}" for i in range(5)]
    assert all(n.title == "We received your report" for n in receipts)

    with TestClient(app) as client:  # the delivery command writes pending receipts first
        more = {"records": [report(10 + i, reporter_id=f"v{i}") for i in range(3)]}
        client.post("/v1/reports/batch", json=more, headers={"Authorization": f"Bearer {key}"})
    monkeypatch.setenv("REPORTGUARD_WEBHOOK_URL", "http://127.0.0.1:9/hooks")
    monkeypatch.setenv("REPORTGUARD_WEBHOOK_SECRET", "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    code, out, _ = run(capsys, "--db", db_url, "webhooks", "deliver", "--once")
    assert code == 0
    assert "8 to retry" in out  # 5 + 3 receipts, the receiver being down
    with Session(engine) as session:
        assert (
            session.scalar(
                sa.select(sa.func.count())
                .select_from(WebhookDelivery)
                .where(WebhookDelivery.event_type == "notice.report_received")
            )
            == 8
        )
    engine.dispose()


def _max_report_id(engine: Engine, report_id: str) -> int:
    with Session(engine) as session:
        return int(session.scalar(sa.select(Report.id).where(Report.report_id == report_id)) or 0)


def test_operator_templates_override_and_languages_fall_back(
    engine: Engine, tmp_path: Path
) -> None:
    (tmp_path / "tpl" / "de").mkdir(parents=True)
    (tmp_path / "tpl" / "en").mkdir(parents=True)
    (tmp_path / "tpl" / "de" / "report_outcome.txt").write_text(
        "Ihre Meldung wurde geprüft\nMeldung {{ report_id }}: {{ outcome }}.\n"
    )
    (tmp_path / "tpl" / "en" / "report_outcome.txt").write_text(
        "Our decision on {{ report_id }}\nOutcome: {{ outcome }}.\n"
    )
    policy_file = tmp_path / "policy.toml"
    default = resources.files("reportguard.policy").joinpath("default.toml").read_text()
    policy_file.write_text(default.replace('# templates_dir = "notices"', 'templates_dir = "tpl"'))
    policy = load_policy(policy_file)
    assert policy.notices.templates_dir == tmp_path / "tpl"

    platform = Platform(engine)
    for reporter, language in (("anna", "de-AT"), ("jean", "fr"), ("kim", None)):
        extra = {"language": language} if language else {}
        platform.records.append(
            ("-", {"account_id": reporter, "created_at": "2020-01-01T00:00:00Z", **extra})
        )
        platform.report(reporter, "t1", at=T0, reason="spam")
    platform.store()
    _decide(engine, "t1", "no_violation", policy=policy)
    by_reporter = {n.recipient_id: n for n in _notices(engine, kind="report_outcome")}
    assert by_reporter["anna"].language == "de"  # de-AT -> de
    assert by_reporter["anna"].title == "Ihre Meldung wurde geprüft"
    assert by_reporter["jean"].language == "en"  # no French: the default language
    assert by_reporter["jean"].title.startswith("Our decision on")  # the override
    assert by_reporter["kim"].body == "Outcome: no_action."
    # a template the operator did not override is the shipped one
    assert NoticeTemplates(tmp_path / "tpl").render(
        "report_received", {"report_id": "r", "reason_label": "spam", "received_at": "now"}
    ).title == ("We received your report")


def test_a_broken_override_is_refused_at_start_with_its_name(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "action_taken.txt").write_text("Title\n{{ statement.no_such_field }}\n")
    with pytest.raises(ConfigError, match=r"en/action_taken.txt"):
        notice_templates(tmp_path, "en")
    policy_file = tmp_path / "policy.toml"
    shipped = resources.files("reportguard.policy").joinpath("default.toml").read_text()
    policy_file.write_text(
        shipped.replace('# templates_dir = "notices"', f'templates_dir = "{tmp_path}"')
    )
    settings = Settings(database_url=str(tmp_path / "x.db"), policy_file=policy_file)
    with pytest.raises(ConfigError, match=r"en/action_taken.txt"):
        create_app(settings, live_detection=False)  # the server refuses to start
    (tmp_path / "en" / "action_taken.txt").write_text("Title\n{% if %}\n")
    with pytest.raises(ConfigError, match=r"en/action_taken.txt, line 2"):
        NoticeTemplates(tmp_path).render("action_taken", {})


def test_preview_renders_every_kind(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "notices", "preview")
    assert code == 0
    for title in (
        "We received your report",
        "We did not find a rule violation",
        "Your account is suspended",
        "Reports about your account are being reviewed with care",
        "We reversed a decision on your account",
        "Your reports are paused",
    ):
        assert title in out
    code, _, err = run(capsys, "notices", "preview", "nonsense")
    assert code != 0
    assert "unknown notice kind 'nonsense'" in err


def test_notices_can_be_switched_off(engine: Engine) -> None:
    policy = POLICY.model_copy(
        update={"notices": POLICY.notices.model_copy(update={"enabled": False})}
    )
    platform = Platform(engine)
    platform.report("u1", "x", at=T0, reason="spam")
    platform.store()
    _decide(engine, "x", "violation", policy=policy)
    assert _notices(engine) == []


def test_the_case_page_lists_notices_with_delivery(engine: Engine) -> None:
    from reportguard.dashboard.pages.cases import _notices as case_notices
    from reportguard.moderation.casefile import load_case_file

    platform = Platform(engine)
    platform.report("u1", "x", at=T0, reason="spam")
    platform.store()
    outcome = _decide(engine, "x", "violation")
    with Session(engine) as session:
        file = load_case_file(session, outcome.case_id)
        assert file is not None
        rows = case_notices(session, file)
    assert {(n.kind, status) for n, status in rows} == {
        ("action_taken", "pending"),
        ("report_outcome", "pending"),
    }
