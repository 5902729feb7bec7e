"""The dashboard in a real Chromium (Playwright) against a real server on a populated platform:
sign in, work a case from the queue to a decision, confirm a campaign and see the reversal it
proposes, decide that appeal as a second moderator, and have a form without its CSRF token
refused. Screenshots of the main pages go to ``REPORTGUARD_SCREENSHOTS`` (default: a temporary
folder); ``docs/screenshots`` holds a committed set.

Chromium comes from the system (Debian: ``apt-get install chromium``); set
``REPORTGUARD_CHROMIUM`` to use another binary. Without one these tests are skipped, unless
``REPORTGUARD_REQUIRE_BROWSER=1`` (set by CI) makes that a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import uvicorn
from sqlalchemy.orm import Session
from tests.conftest import TEST_KEY

from reportguard.access.keys import create_key
from reportguard.api import create_app
from reportguard.config import Settings
from reportguard.store.database import create_engine
from reportguard.store.models import Action, Appeal, Case

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
pytestmark = pytest.mark.slow


def _chromium() -> str:
    path = os.environ.get("REPORTGUARD_CHROMIUM") or shutil.which("chromium") or ""
    if path and Path(path).exists():
        return path
    if os.environ.get("REPORTGUARD_REQUIRE_BROWSER") == "1":
        pytest.fail("REPORTGUARD_REQUIRE_BROWSER=1 but no Chromium (apt-get install chromium)")
    pytest.skip("no Chromium: apt-get install chromium, or set REPORTGUARD_CHROMIUM")
    return ""  # pragma: no cover


@dataclass
class Site:
    url: str
    engine: sa.Engine
    keys: dict[str, str]
    shots: Path


@pytest.fixture(scope="module")
def site(platform_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A real uvicorn server on a copy of the populated platform, for this module."""
    folder = tmp_path_factory.mktemp("browser")
    database = folder / "platform.db"
    shutil.copyfile(platform_template, database)
    settings = Settings(database_url=str(database), secret_key=TEST_KEY)
    engine = create_engine(settings.resolved_database_url())
    keys = {
        name: create_key(engine, name, role)[1]
        for name, role in (("alice", "moderator"), ("bob", "moderator"), ("root", "admin"))
    }
    app = create_app(settings, engine=engine, live_detection=False)
    shots = Path(os.environ.get("REPORTGUARD_SCREENSHOTS") or folder / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    with _serving(app) as url:
        yield Site(url, engine, keys, shots)
    engine.dispose()


@contextmanager
def _serving(app: Any) -> Iterator[str]:
    """A real uvicorn server for ``app`` on a free local port, for as long as the block runs."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    executable = _chromium()
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: playwright_api.Browser) -> Iterator[playwright_api.Page]:
    """A fresh browser context (no cookies) on a laptop-sized screen."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


def sign_in(page: playwright_api.Page, site: Site, who: str, path: str = "/dashboard/") -> None:
    """Sign in with the keyboard only: the key field has focus, Enter submits."""
    page.goto(site.url + path)
    page.wait_for_url(re.compile(r"/dashboard/login"))
    expect(page.get_by_label("API key")).to_be_focused()
    page.keyboard.type(site.keys[who])
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(re.escape(path.split("?", maxsplit=1)[0]) + r"(\?.*)?$"))


def sign_out(page: playwright_api.Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/dashboard/login"))


def expect(locator: playwright_api.Locator) -> playwright_api.LocatorAssertions:
    return playwright_api.expect(locator)


def test_work_a_case_from_the_queue_to_a_decision(page: playwright_api.Page, site: Site) -> None:
    sign_in(page, site, "alice")
    expect(page.get_by_role("heading", name=re.compile("Queue"))).to_be_visible()
    expect(page.locator("td.why").first).to_contain_text("independent voice")
    page.screenshot(path=str(site.shots / "queue.png"))

    page.get_by_role("link", name=re.compile(r"^case \d+$")).first.click()
    case_id = int(page.url.rsplit("/", 1)[1])
    expect(page.get_by_role("heading", name="Reports over time")).to_be_visible()
    expect(page.locator("svg.chart").first).to_be_visible()
    page.get_by_role("button", name="Claim this case").click()
    expect(page.get_by_role("status")).to_contain_text(f"You hold case {case_id}")
    expect(page.locator("#preview")).to_contain_text("If it is a violation")
    page.screenshot(path=str(site.shots / "case.png"))

    page.get_by_label("Violation", exact=True).check()
    page.get_by_label("Statement of reasons").fill("Threats of violence in the reported posts.")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_role("status")).to_contain_text(f"Decided case {case_id}: violation")
    expect(page.get_by_role("heading", name="Decisions")).to_be_visible()
    with Session(site.engine) as session:
        case = session.get(Case, case_id)
        assert case is not None
        assert case.status == "decided"
        assert session.scalar(
            sa.select(sa.func.count())
            .select_from(Action)
            .where(Action.account_id == case.target_id)
        )


def test_confirm_a_campaign_and_reverse_what_it_caused_as_another_moderator(
    page: playwright_api.Page, site: Site
) -> None:
    sign_in(page, site, "alice")
    page.get_by_label("Shielded").select_option("yes")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"shielded=yes"))
    page.get_by_role("link", name=re.compile(r"^case \d+$")).first.click()
    page.get_by_role("button", name="Claim this case").click()
    page.get_by_label("Violation", exact=True).check()
    page.get_by_label("Statement of reasons").fill("Reported many times for harassment.")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_role("status")).to_contain_text("violation")

    page.locator("section[aria-labelledby=evidence] h3 a").first.click()
    expect(page.get_by_role("heading", name="Who reported whom")).to_be_visible()
    page.screenshot(path=str(site.shots / "campaign.png"))
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Confirm campaign").click()
    expect(page.get_by_role("status")).to_contain_text("reversal proposal")
    proposal = page.get_by_role("link", name=re.compile(r"^appeal #\d+$")).first
    expect(proposal).to_be_visible()
    proposal.click()
    expect(page.get_by_role("note")).to_contain_text("another moderator must decide it")
    appeal_id = int(page.url.rsplit("/", 1)[1])
    sign_out(page)

    sign_in(page, site, "bob", "/dashboard/appeals")
    page.get_by_role("link", name=f"appeal {appeal_id}", exact=True).click()
    page.get_by_label("Note").fill("The reports came from a confirmed campaign.")
    page.screenshot(path=str(site.shots / "appeal.png"))
    page.get_by_role("button", name="Overturn").click()
    expect(page.get_by_role("status")).to_contain_text("overturned")
    with Session(site.engine) as session:
        appeal = session.get(Appeal, appeal_id)
        assert appeal is not None
        assert (appeal.status, appeal.decided_by) == ("overturned", "bob")
        action = session.get(Action, appeal.action_id)
        assert action is not None
        assert action.status == "reversed"


def test_a_form_without_its_csrf_token_is_refused(page: playwright_api.Page, site: Site) -> None:
    sign_in(page, site, "alice")
    page.get_by_role("link", name=re.compile(r"^case \d+$")).nth(5).click()
    page.wait_for_url(re.compile(r"/dashboard/cases/\d+$"))
    claim = page.get_by_role("button", name="Claim this case")
    expect(claim).to_be_visible()  # the form is in the page before its token is taken out
    case_id = int(page.url.rsplit("/", 1)[1])
    removed = page.evaluate(
        "() => { const inputs = document.querySelectorAll("
        "'form[action$=\"/claim\"] input[name=csrf_token]');"
        " inputs.forEach((input) => input.remove()); return inputs.length; }"
    )
    assert removed >= 1
    with page.expect_response(re.compile(r"/claim$")) as answer:
        claim.click()
    assert answer.value.status == 403
    expect(page.get_by_role("alert")).to_contain_text("security token")
    with Session(site.engine) as session:
        assert session.scalar(sa.select(Case.claimed_by).where(Case.id == case_id)) is None


def test_records_pages_for_an_admin(page: playwright_api.Page, site: Site) -> None:
    sign_in(page, site, "root", "/dashboard/transparency")
    expect(page.get_by_role("img", name=re.compile("Reports by reason"))).to_be_visible()
    page.screenshot(path=str(site.shots / "transparency.png"), full_page=True)
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("status")).to_contain_text("Verified")
    page.screenshot(path=str(site.shots / "audit.png"))
    page.keyboard.press("Tab")  # the first stop is the skip link
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()


# -- the demo, page by page ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """What `./scripts/demo.sh --no-serve` leaves (the same command), served for a walk."""
    import subprocess
    import sys

    folder = tmp_path_factory.mktemp("demo")
    command = [sys.executable, "-m", "reportguard.cli", "demo", "--dir", str(folder)]
    env = {**os.environ, "REPORTGUARD_SECRET_KEY": TEST_KEY}
    done = subprocess.run(
        [*command, "--no-serve"], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    tokens = dict(re.findall(r"(demo-\w+)\s+\w+\s+(rg_[0-9a-f]+_\S+)", done.stdout))
    assert set(tokens) == {"demo-moderator", "demo-reviewer", "demo-admin"}, done.stdout
    settings = Settings(database_url=str(folder / "reportguard.db"), secret_key=TEST_KEY)
    engine = create_engine(settings.resolved_database_url())
    app = create_app(settings, engine=engine, live_detection=False)
    with _serving(app) as url:
        yield Site(url, engine, tokens, folder)
    engine.dispose()


def test_every_page_of_the_demo_has_content(page: playwright_api.Page, demo_site: Site) -> None:
    """A moderation lead's first look: every link of the navigation leads to a page with
    something real on it, and a moderator is not shown a link their role cannot open."""
    sign_in(page, demo_site, "demo-admin")
    navigation = page.get_by_role("navigation", name="Main")
    names = [link.inner_text().strip() for link in navigation.get_by_role("link").all()]
    assert names == ["Queue", "Campaigns", "Appeals", "Misuse", "Audit log", "Transparency"]
    for name in names:
        navigation.get_by_role("link", name=name, exact=True).click()
        expect(page.locator("main h1")).to_be_visible()
        if name == "Appeals":  # the open queue may be empty once the demo decided them all
            page.get_by_role("link", name="all", exact=True).click()
        expect(page.locator("main .empty")).to_have_count(0)
        expect(page.locator("main table, main figure, main svg").first).to_be_visible()
        first = page.locator("main tbody a").first
        if first.count():  # and the first item of each list opens
            first.click()
            expect(page.locator("main h1")).to_be_visible()
            expect(page.locator("main .empty")).to_have_count(0)
            page.go_back()
    sign_out(page)
    sign_in(page, demo_site, "demo-moderator")
    links = page.get_by_role("navigation", name="Main").get_by_role("link")
    assert "Transparency" not in [link.inner_text().strip() for link in links.all()]


def test_the_case_page_shows_what_was_reported_and_links_out(
    page: playwright_api.Page, site: Site
) -> None:
    from reportguard.store.models import CaseReport, Content, Report

    with Session(site.engine) as session:
        case_id = session.scalar(
            sa.select(CaseReport.case_id)
            .join(Report, Report.id == CaseReport.report_pk)
            .join(Content, Content.content_id == Report.content_id)
            .order_by(CaseReport.case_id)
            .limit(1)
        )
    assert case_id is not None
    sign_in(page, site, "alice", f"/dashboard/cases/{case_id}")
    expect(page.get_by_role("heading", name="What was reported")).to_be_visible()
    item = page.locator(".reported-item").first
    expect(item).to_contain_text("(synthetic)")
    expect(item).to_contain_text("drew")
    link = item.get_by_role("link", name="open on the platform")
    expect(link).to_have_attribute("href", re.compile(r"^https://platform\.example/a\d+/posts/"))
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    page.locator("section[aria-labelledby=reported]").screenshot(
        path=str(site.shots / "content.png")
    )
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.reload()
    expect(page.get_by_role("heading", name="What was reported")).to_be_visible()
    assert not [url for url in requests if "platform.example" in url]  # nothing fetched there
