"""The dashboard over HTTP (no browser): sign-in, sessions, CSRF, every page on a populated
platform, the forms that decide, and the `reportguard demo` command. The browser tests are in
test_dashboard_browser.py."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from tests.conftest import TEST_KEY
from tests.helpers import report
from tests.test_cli import run

from reportguard.access.keys import authenticate, create_key, revoke_key
from reportguard.api import create_app
from reportguard.config import Settings
from reportguard.dashboard import charts
from reportguard.dashboard.session import SESSION_COOKIE, Signer
from reportguard.store import audit
from reportguard.store.database import create_engine
from reportguard.store.models import (
    Action,
    Appeal,
    AuditEntry,
    Campaign,
    CampaignReport,
    CampaignTarget,
    Case,
    CaseReport,
)


@dataclass
class Dash:
    app: FastAPI
    engine: Engine
    keys: dict[str, str]

    def client(self) -> TestClient:
        return TestClient(self.app, follow_redirects=False)

    def sign_in(self, who: str) -> tuple[TestClient, str]:
        """A client signed in as ``who``, and the CSRF token of its session."""
        client = self.client()
        answer = client.post(
            "/dashboard/login",
            data={"key": self.keys[who], "csrf_token": login_token(client), "next": ""},
        )
        assert answer.status_code == 303, answer.text
        return client, csrf_of(client.get("/dashboard/").text)

    def scalar(self, query: Any) -> Any:
        with Session(self.engine) as session:
            return session.scalar(query)


def login_token(client: TestClient) -> str:
    return csrf_of(client.get("/dashboard/login").text)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def _dash(db_url: str) -> Iterator[Dash]:
    settings = Settings(database_url=db_url, secret_key=TEST_KEY)
    engine = create_engine(settings.resolved_database_url())
    keys = {
        name: create_key(engine, name, role)[1]
        for name, role in (
            ("alice", "moderator"),
            ("bob", "moderator"),
            ("root", "admin"),
            ("platform", "ingest"),
        )
    }
    yield Dash(create_app(settings, engine=engine, live_detection=False), engine, keys)
    engine.dispose()


@pytest.fixture
def dash(platform_copy: str) -> Iterator[Dash]:
    yield from _dash(platform_copy)


# -- signing in --------------------------------------------------------------------------------


def test_pages_send_strangers_to_sign_in_and_back(dash: Dash) -> None:
    client = dash.client()
    for path in ("/dashboard/", "/dashboard/cases/3?x=1", "/dashboard/audit"):
        answer = client.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/dashboard/login?next=")
    assert client.get("/").headers["location"] == "/dashboard/"
    signed = client.post(
        "/dashboard/login",
        data={
            "key": dash.keys["alice"],
            "csrf_token": login_token(client),
            "next": "/dashboard/cases/3?x=1",
        },
    )
    assert signed.headers["location"] == "/dashboard/cases/3?x=1"
    cookie = next(c for c in signed.headers.get_list("set-cookie") if SESSION_COOKIE in c)
    assert f"{SESSION_COOKIE}=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/dashboard" in cookie
    assert dash.keys["alice"].split("_", 2)[2] not in cookie  # the key's secret never leaves
    page = client.get("/dashboard/cases/3")
    assert page.status_code == 200
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("who", "token_ok", "status", "says"),
    [
        ("nobody", True, 401, "unknown or revoked"),
        ("platform", True, 403, "needs a moderator or admin key"),
        ("alice", False, 403, "did not come from this dashboard"),
    ],
)
def test_sign_in_refusals(dash: Dash, who: str, token_ok: bool, status: int, says: str) -> None:
    client = dash.client()
    token = login_token(client) if token_ok else "forged"
    answer = client.post(
        "/dashboard/login",
        data={"key": dash.keys.get(who, "rg_nope_nope"), "csrf_token": token},
    )
    assert answer.status_code == status
    assert says in answer.text
    assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")


def test_sign_ins_with_wrong_keys_are_throttled_per_address(dash: Dash) -> None:
    from reportguard.access.throttle import FailedAuth

    dash.app.state.failed_auth = FailedAuth("3/minute")
    client = dash.client()
    for _ in range(3):
        wrong = {"key": "rg_nope_nope", "csrf_token": login_token(client)}
        assert client.post("/dashboard/login", data=wrong).status_code == 401
    wrong = {"key": "rg_nope_nope", "csrf_token": login_token(client)}
    refused = client.post("/dashboard/login", data=wrong)
    assert refused.status_code == 429
    assert "Too many failed sign-ins" in refused.text
    right = {"key": dash.keys["alice"], "csrf_token": login_token(client)}
    assert client.post("/dashboard/login", data=right).status_code == 429  # not even looked up


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/v1/cases"])
def test_sign_in_never_redirects_outside_the_dashboard(dash: Dash, target: str) -> None:
    client = dash.client()
    answer = client.post(
        "/dashboard/login",
        data={"key": dash.keys["alice"], "csrf_token": login_token(client), "next": target},
    )
    assert answer.headers["location"] == "/dashboard/"


def test_sessions_cannot_be_forged_and_end_with_their_key(dash: Dash) -> None:
    client, _ = dash.sign_in("alice")
    value = client.cookies[SESSION_COOKIE]
    bob_id = dash.keys["bob"].split("_", 2)[1]
    forged = bob_id + value[value.index(".") :]  # alice's signature on bob's key id
    stranger = dash.client()
    stranger.cookies.set(SESSION_COOKIE, forged, path="/dashboard")
    assert stranger.get("/dashboard/").status_code == 303
    assert client.get("/dashboard/").status_code == 200
    revoke_key(dash.engine, dash.keys["alice"].split("_", 2)[1])
    assert client.get("/dashboard/").status_code == 303  # revocation ends the session at once

    signer = Signer(b"k" * 32, max_age_seconds=3600)
    cookie = signer.new_session("abc", now=1000)
    assert signer.read_session(cookie, now=1000 + 3599) is not None
    assert signer.read_session(cookie, now=1000 + 3601) is None
    assert Signer(b"j" * 32, max_age_seconds=3600).read_session(cookie, now=1001) is None


def test_forms_without_the_session_token_are_refused(dash: Dash) -> None:
    alice, token = dash.sign_in("alice")
    bob, bob_token = dash.sign_in("bob")
    case_id = dash.scalar(sa.select(sa.func.min(Case.id)))
    for data in ({}, {"csrf_token": "forged"}, {"csrf_token": bob_token}):
        refused = alice.post(f"/dashboard/cases/{case_id}/claim", data=data)
        assert refused.status_code == 403
        assert "security token" in refused.text
    assert dash.scalar(sa.select(Case.claimed_by).where(Case.id == case_id)) is None
    accepted = alice.post(f"/dashboard/cases/{case_id}/claim", data={"csrf_token": token})
    assert accepted.status_code == 303
    assert dash.scalar(sa.select(Case.claimed_by).where(Case.id == case_id)) == "alice"
    assert bob.post("/dashboard/logout", data={}).status_code == 403
    assert bob.post("/dashboard/logout", data={"csrf_token": bob_token}).status_code == 303


# -- pages -------------------------------------------------------------------------------------


def _priorities(html: str) -> list[float]:
    rows = re.findall(r'<td class="num priority">(-?[\d.]+)</td>', html)
    return [float(p) for p in rows]


def test_queue_ranks_explains_and_filters(dash: Dash) -> None:
    client, _ = dash.sign_in("alice")
    page = client.get("/dashboard/").text
    priorities = _priorities(page)
    assert len(priorities) == 50
    assert priorities == sorted(priorities, reverse=True)
    assert page.count('<td class="why">') == 50
    assert "independent voice" in page

    def count(queue: str) -> int:
        return int(
            dash.scalar(
                sa.select(sa.func.count())
                .select_from(Case)
                .where(Case.status == "open", Case.queue == queue)
            )
        )

    assert f"{count('violation'):,} open cases" in page
    disputes = client.get("/dashboard/?queue=dispute").text
    assert count("dispute") > 0  # the small platform has quarrels
    assert f"{count('dispute'):,} open case" in disputes
    assert disputes.count("Dispute: ") == min(count("dispute"), 50)  # each says why

    shielded = client.get("/dashboard/?shielded=yes").text
    n_shielded = dash.scalar(
        sa.select(sa.func.count()).select_from(Case).where(Case.shielded.is_(True))
    )
    assert n_shielded > 0
    assert f"{n_shielded:,} open case" in shielded
    assert shielded.count('class="badge shield"') == min(n_shielded, 50)

    spam = client.get("/dashboard/?reason=spam&min_age_hours=0").text
    reasons = re.findall(r'<td class="reason">([a-z_-]+)</td>', spam)
    assert reasons
    assert set(reasons) == {"spam"}
    empty_fields = client.get("/dashboard/?reason=&shielded=&campaign=&min_age_hours=")
    assert empty_fields.status_code == 200  # what the filter form sends when left blank
    assert _priorities(empty_fields.text) == priorities
    wrong = client.get("/dashboard/?campaign=abc")
    assert wrong.status_code == 422
    assert "Campaign # is a campaign number" in wrong.text
    nothing = client.get("/dashboard/?campaign=999999").text
    assert "No open case matches" in nothing
    second = client.get("/dashboard/?offset=50").text
    assert _priorities(second)[0] <= priorities[-1]


def _campaign_case(dash: Dash, signal: str | None = None) -> tuple[int, int]:
    """A shielded open case and the campaign behind it (one whose evidence has ``signal``)."""
    with Session(dash.engine) as session:
        rows = session.execute(
            sa.select(Case.id, CampaignReport.campaign_id)
            .join(CaseReport, CaseReport.case_id == Case.id)
            .join(CampaignReport, CampaignReport.report_pk == CaseReport.report_pk)
            .where(Case.shielded.is_(True), Case.status == "open")
            .distinct()
            .order_by(Case.id, CampaignReport.campaign_id)
        ).all()
        evidence = dict(session.execute(sa.select(Campaign.id, Campaign.evidence)).all())
    for case_id, campaign_id in rows:
        if signal is None or signal in {s["signal"] for s in evidence[campaign_id]["signals"]}:
            return int(case_id), int(campaign_id)
    raise AssertionError(f"no shielded case with {signal} evidence")


def test_case_page_lays_out_the_evidence(dash: Dash) -> None:
    client, _ = dash.sign_in("alice")
    case_id, campaign_id = _campaign_case(dash, "near_duplicate_text")
    page = client.get(f"/dashboard/cases/{case_id}").text
    assert '<svg class="chart"' in page  # the timeline
    assert f'fill="{charts.CAMPAIGN}"' in page  # campaign reports drawn in red
    assert f'href="/dashboard/campaigns/{campaign_id}"' in page
    assert "Campaign evidence" in page
    assert re.search(r"<td>T1</td>", page)  # copy-pasted text grouped
    assert re.search(r'<td class="num">0\.\d\d</td>', page)  # reporters' credibility
    assert "new account" in page
    assert "Claim this case" in page
    assert "counted as one voice" in page
    assert "moderators rule a violation, from the stated priors" in page  # what P means
    assert client.get("/dashboard/cases/99999999").status_code == 404
    for path, status in (("/dashboard/cases/0", 422), ("/dashboard/nowhere", 404)):
        answer = client.get(path)
        assert answer.status_code == status
        assert answer.headers["content-type"].startswith("text/html")  # a page, not JSON
        assert 'role="alert"' in answer.text
    assert client.get("/v1/nowhere").headers["content-type"] == "application/json"


def test_user_text_is_escaped(dash: Dash) -> None:
    with TestClient(dash.app) as api:
        sent = api.post(
            "/v1/reports",
            json=report(1, target_id="t-xss", text='<script>alert("x")</script>'),
            headers={"Authorization": f"Bearer {dash.keys['platform']}"},
        )
        assert sent.status_code == 201
    from reportguard.triage.cases import refresh_cases

    refresh_cases(dash.engine, policy=dash.app.state.policy)
    case_id = dash.scalar(sa.select(Case.id).where(Case.target_id == "t-xss"))
    client, _ = dash.sign_in("alice")
    page = client.get(f"/dashboard/cases/{case_id}").text
    assert "&lt;script&gt;" in page
    assert "<script>alert" not in page


def test_campaign_pages_draw_who_reported_whom(dash: Dash) -> None:
    client, _ = dash.sign_in("alice")
    listing = client.get("/dashboard/campaigns").text
    n = dash.scalar(sa.select(sa.func.count()).select_from(Campaign))
    assert listing.count('href="/dashboard/campaigns/') == n
    campaign_id = dash.scalar(sa.select(sa.func.min(Campaign.id)))
    page = client.get(f"/dashboard/campaigns/{campaign_id}").text
    assert 'class="chart graph"' in page
    assert page.count("<line ") > 10
    assert "Confirm campaign" in page
    assert "Surprise is" in page
    assert client.get("/dashboard/campaigns/99999999").status_code == 404


def test_records_pages_and_audit_verification(dash: Dash) -> None:
    alice, _ = dash.sign_in("alice")
    root, _ = dash.sign_in("root")
    assert alice.get("/dashboard/misuse").status_code == 200
    assert alice.get("/dashboard/appeals?status=all").status_code == 200
    audit = alice.get("/dashboard/audit").text
    assert "Verified: the hash chain" in audit
    assert "dashboard_sign_in" in audit
    assert alice.get("/dashboard/transparency").status_code == 403
    figures = root.get("/dashboard/transparency")
    assert figures.status_code == 200
    assert "Reports by reason" in figures.text
    assert '<svg class="chart"' in figures.text
    assert root.get("/dashboard/transparency?from=2026-12-01&to=2026-11-01").status_code == 422
    assert root.get("/dashboard/transparency?from=yesterday").status_code == 422
    with dash.engine.begin() as conn:
        conn.execute(sa.update(AuditEntry).where(AuditEntry.seq == 1).values(actor="someone else"))
    tampered = alice.get("/dashboard/audit").text
    assert "does not verify" in tampered
    assert "entry 1" in tampered


# -- deciding ------------------------------------------------------------------------------------


def _post(client: TestClient, path: str, token: str, **data: Any) -> str:
    answer = client.post(path, data={"csrf_token": token, **data})
    assert answer.status_code == 303, answer.text
    return str(client.get(answer.headers["location"]).text)


def _work_a_brigaded_case(dash: Dash) -> None:
    """Alice rules a brigaded case a violation, confirms the campaign later; the reversal it
    proposes is refused to her and decided by Bob."""
    alice, token = dash.sign_in("alice")
    case_id, campaign_id = _campaign_case(dash)
    page = _post(alice, f"/dashboard/cases/{case_id}/claim", token)
    assert "You hold case" in page
    assert "If it is a violation" in page
    empty = _post(alice, f"/dashboard/cases/{case_id}/decision", token, outcome="violation")
    assert "Write the statement of reasons" in empty
    done = _post(
        alice,
        f"/dashboard/cases/{case_id}/decision",
        token,
        outcome="violation",
        reason="Threats in three posts.",
    )
    assert "Decided case" in done
    assert "action" in done
    assert "Notices" in done  # what each side was told, with its delivery status
    assert "action taken" in done
    assert "report outcome" in done
    action = dash.scalar(sa.select(Action).order_by(Action.id.desc()).limit(1))
    assert action.status != "reversed"
    assert action.statement["facts_and_circumstances"] is not None

    confirmed = _post(
        alice, f"/dashboard/campaigns/{campaign_id}/verdict", token, status="confirmed"
    )
    assert "reversal proposal" in confirmed
    assert "Reversal proposals" in confirmed
    appeal_id = dash.scalar(sa.select(Appeal.id).where(Appeal.kind == "remediation"))
    own = alice.get(f"/dashboard/appeals/{appeal_id}").text
    assert "another moderator must decide it" in own
    refused = _post(alice, f"/dashboard/appeals/{appeal_id}/decision", token, outcome="upheld")
    assert "Not decided" in refused

    bob, bob_token = dash.sign_in("bob")
    assert f"appeal {appeal_id}" in bob.get("/dashboard/appeals").text
    overturned = _post(
        bob, f"/dashboard/appeals/{appeal_id}/decision", bob_token, outcome="overturned"
    )
    assert f"Appeal {appeal_id} overturned" in overturned
    with Session(dash.engine) as session:
        assert session.get(Action, action.id).status == "reversed"  # type: ignore[union-attr]


def test_a_brigaded_case_decided_reversed_by_another_moderator(dash: Dash) -> None:
    _work_a_brigaded_case(dash)


@pytest.mark.postgres
@pytest.mark.slow
def test_the_same_on_postgresql(small_simulation: Path, postgres_url: str) -> None:
    from reportguard.pipeline.demo import DemoRun, load_platform

    engine = create_engine(postgres_url)
    load_platform(
        engine,
        small_simulation,
        settings=Settings(secret_key=TEST_KEY),
        run=DemoRun(small_simulation, small_simulation),
    )
    engine.dispose()
    for dash in _dash(postgres_url):
        _work_a_brigaded_case(dash)


# -- accessibility -----------------------------------------------------------------------------


class _Fields(HTMLParser):
    """Collects form fields and which ids have a <label for=...>."""

    def __init__(self) -> None:
        super().__init__()
        self.labelled: set[str] = set()
        self.fields: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "label" and a.get("for"):
            self.labelled.add(str(a["for"]))
        if tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit"):
            self.fields.append(a)


def test_every_field_has_a_label(dash: Dash) -> None:
    client, token = dash.sign_in("root")
    case_id, campaign_id = _campaign_case(dash)
    _post(client, f"/dashboard/cases/{case_id}/claim", token)  # the decision form shows
    pages = [
        "/dashboard/login",
        "/dashboard/",
        f"/dashboard/cases/{case_id}",
        f"/dashboard/campaigns/{campaign_id}",
        "/dashboard/audit",
        "/dashboard/transparency",
    ]
    for path in pages:
        parser = _Fields()
        parser.feed(client.get(path).text)
        assert parser.fields, path
        for field in parser.fields:
            assert field.get("aria-label") or field.get("id") in parser.labelled, (path, field)


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_text_colours_meet_wcag_contrast() -> None:
    css = (files("reportguard.dashboard") / "static" / "style.css").read_text()
    colours = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", css))
    for text in ("ink", "muted", "accent", "danger", "ok", "warn"):
        for background in ("bg", "panel"):
            assert _contrast(colours[text], colours[background]) >= 4.5, (text, background)
    for mark in (charts.CAMPAIGN, charts.ORGANIC, charts.NEUTRAL, charts.NEW_ACCOUNT):
        assert _contrast(mark, "#ffffff") >= 3.0, mark  # graphics: WCAG 1.4.11


# -- charts ------------------------------------------------------------------------------------


def test_timeline_bins_keep_every_report() -> None:
    times = [(1_000_000 + i * 37, i % 3 == 0) for i in range(500)]
    bins, step = charts.bin_times(times, start=times[0][0], end=times[-1][0])
    assert step == charts.bin_seconds(times[-1][0] - times[0][0])
    assert sum(b.total for b in bins) == 500
    assert sum(b.campaign for b in bins) == sum(1 for _, c in times if c)
    svg = str(charts.timeline(bins, step, baseline=2.0, label="x"))
    assert svg.count("<rect") == sum((b.campaign > 0) + (b.other > 0) for b in bins)
    assert "stroke-dasharray" in svg  # the baseline


def test_graph_draws_one_line_per_pair_and_escapes_names() -> None:
    members = [charts.Node(f"u{i}", 2, flag=i == 0) for i in range(4)]
    targets = [charts.Node("<b>t</b>", 4, flag=True), charts.Node("t2", 1)]
    edges = [(i, 0, 1) for i in range(4)] + [(0, 1, 1)]
    svg = str(charts.bipartite(members, targets, edges, label="g"))
    assert svg.count("<line ") == 5
    assert "<b>t</b>" not in svg
    assert "&lt;b&gt;t&lt;/b&gt;" in svg


# -- reportguard demo ----------------------------------------------------------------------------


@pytest.mark.slow
def test_demo_runs_end_to_end_and_reruns_from_scratch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for _ in range(2):  # a second run starts from an empty database, never adds to the first
        code, out, err = run(capsys, "demo", "--dir", str(tmp_path / "demo"), "--no-serve")
        assert code == 0, err
    found = re.search(r"(\d+) of the (\d+) planted campaigns found", out)
    assert found
    assert int(found.group(1)) >= int(found.group(2)) - 1
    assert "Organic waves called a campaign: 0 of" in out
    assert "by report count" in out
    reports = int(re.search(r"platform: ([\d,]+) reports", out).group(1).replace(",", ""))  # type: ignore[union-attr]
    engine = create_engine(f"sqlite:///{tmp_path / 'demo' / 'reportguard.db'}")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM reports")).scalar() == reports
    queues = re.search(
        r"\(([\d,]+) open cases: ([\d,]+) in the violation queue, ([\d,]+) in the dispute queue",
        out,
    )
    assert queues, out
    total, violation, dispute = (int(g.replace(",", "")) for g in queues.groups())
    assert total == violation + dispute
    with engine.connect() as conn:  # every case was open when the figures were taken
        assert conn.execute(sa.text("SELECT count(*) FROM cases")).scalar() == total
    tokens = re.findall(r"rg_[0-9a-f]+_\S+", out)
    assert len(tokens) == 3
    with Session(engine) as session:
        roles = [authenticate(session, t).role for t in tokens]  # type: ignore[union-attr]
    assert roles == ["moderator", "moderator", "admin"]
    engine.dispose()


def test_demo_and_serve_refuse_a_taken_port_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        code, _, err = run(capsys, "demo", "--dir", str(tmp_path / "d"), "--port", port)
        assert code != 0
        assert f"cannot listen on 127.0.0.1:{port}" in err
        assert not (tmp_path / "d").exists()  # refused before simulating anything
        code, _, err = run(capsys, "--db", str(tmp_path / "x.db"), "serve", "--port", port)
        assert code != 0
        assert "choose another with --port" in err


# -- the demo's history ----------------------------------------------------------------------

NAV_PAGES = (
    "/dashboard/",
    "/dashboard/campaigns",
    "/dashboard/appeals?status=all",
    "/dashboard/misuse",
    "/dashboard/audit",
    "/dashboard/transparency",
)


def test_the_demo_history_gives_every_page_content(dash: Dash, small_simulation: Path) -> None:
    from reportguard.evaluate.harness import Truth
    from reportguard.pipeline.demo_history import play_history

    root, _ = dash.sign_in("root")
    assert 'class="empty"' in root.get("/dashboard/appeals?status=all").text  # before: empty
    truth = Truth(small_simulation)
    history = play_history(dash.engine, truth, policy=Settings(secret_key=TEST_KEY).policy())

    assert sum(history.decided.values()) >= 10
    assert history.decided.get("no_violation", 0) >= 1
    assert history.confirmed
    assert history.remediated == 1
    assert history.misuse_measures >= 1
    assert history.appeals == {"overturned": 1, "upheld": 1}
    with Session(dash.engine) as session:
        confirmed = session.scalars(
            sa.select(CampaignTarget.target_id).where(
                CampaignTarget.campaign_id.in_(history.confirmed)
            )
        ).all()
    assert set(confirmed) <= truth.brigaded - truth.violating  # only what the truth confirms
    for path in NAV_PAGES:
        page = root.get(path)
        assert page.status_code == 200, path
        assert 'class="empty"' not in page.text, path
    assert "/dashboard/transparency" in root.get("/dashboard/").text
    alice, _ = dash.sign_in("alice")
    assert "/dashboard/transparency" not in alice.get("/dashboard/").text  # a link she cannot open
    assert audit.verify(dash.engine).ok


# -- one count, one number ---------------------------------------------------------------------


def test_the_same_count_is_the_same_number_in_every_view(
    dash: Dash, platform_copy: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Open cases per queue and each campaign's members, targets and members' reports read the
    same in the dashboard, the API and the command line."""
    import json

    from reportguard.cli.common import plural

    alice, _ = dash.sign_in("alice")
    page = alice.get("/dashboard/").text
    tabs = {}
    for name in ("violation", "dispute"):
        found = re.search(rf'data-queue="{name}">([\d,]+)<', page)
        assert found, name
        tabs[name] = int(found.group(1).replace(",", ""))
    assert tabs["dispute"] > 0
    api = dash.client()
    auth = {"Authorization": f"Bearer {dash.keys['alice']}"}
    for name, shown in tabs.items():
        answer = api.get("/v1/cases", params={"queue": name}, headers=auth)
        assert answer.json()["total"] == shown, name
    code, out, _ = run(capsys, "--db", platform_copy, "stats", "--json")
    assert code == 0
    assert json.loads(out)["cases"] == sum(tabs.values())  # nothing decided: every case open

    campaigns = api.get(
        "/v1/campaigns", params={"status": "all", "limit": 500}, headers=auth
    ).json()["items"]
    assert len(campaigns) >= 3
    listing = alice.get("/dashboard/campaigns?status=all").text
    for c in campaigns:
        figures = [str(c["members"]), str(c["targets"]), str(c["reports"])]
        row = re.search(rf'campaigns/{c["id"]}">campaign {c["id"]}</a>.*?</tr>', listing, re.S)
        assert row, c["id"]
        assert re.findall(r'<td class="num">([\d.,]+)</td>', row.group(0))[1:] == figures
        detail = alice.get(f"/dashboard/campaigns/{c['id']}").text
        assert f"{plural(c['members'], 'member')} against" in detail
        assert f"{plural(c['reports'], 'report')} by them" in detail
        code, out, _ = run(capsys, "--db", platform_copy, "campaign", "show", str(c["id"]))
        assert code == 0
        assert (
            f"{plural(c['members'], 'member')}, {plural(c['targets'], 'target')}, "
            f"{plural(c['reports'], 'report')} by members"
        ) in " ".join(out.split())
