"""Content records: the reported items arrive like account snapshots and the case (API and
page) shows what was reported, which reports drew which item, and links out to the platform."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from tests.conftest import TEST_KEY
from tests.helpers import account, report, write_jsonl

from reportguard.access.keys import create_key
from reportguard.api import create_app
from reportguard.config import Settings
from reportguard.ingest.hashing import IdentifierHasher
from reportguard.ingest.importer import Importer
from reportguard.pipeline import batch
from reportguard.store.database import create_engine
from reportguard.triage.cases import queue

POLICY = Path(__file__).parents[1] / "src" / "reportguard" / "policy" / "default.toml"


def content(content_id: str, **overrides: object) -> dict[str, object]:
    record: dict[str, object] = {
        "type": "content",
        "content_id": content_id,
        "account_id": "t-1",
        "kind": "post",
        "text": f"the words of {content_id}",
        "created_at": "2026-10-01T00:00:00Z",
        "visibility": "public",
    }
    return {**record, **overrides}


def test_the_case_shows_the_reported_content_and_links(db_url: str, tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text(
        POLICY.read_text().replace(
            '# account = "https://social.example/@{handle}"\n'
            '# content = "https://social.example/statuses/{content_id}"',
            'account = "https://social.example/@{handle}"\n'
            'content = "https://social.example/statuses/{content_id}"',
        )
    )
    engine = create_engine(Settings(database_url=db_url).resolved_database_url())
    records = [
        account("t-1", handle="@ridgeback"),
        content(
            "p-1",
            url="https://social.example/@ridgeback/p-1",
            media_url="https://cdn.example/1.png",
        ),
        content("p 2", visibility="followers"),  # no url: the policy's template makes it
        content("p-bad", url="javascript:alert(1)"),  # refused: only http(s) links out
        *(report(n, target_id="t-1", content_id="p-1") for n in range(1, 4)),
        report(4, target_id="t-1", content_id="p 2"),
        report(5, target_id="t-1", content_id="p-unknown"),
    ]
    path = write_jsonl(tmp_path / "export.jsonl", records)
    summary = Importer(engine, IdentifierHasher(TEST_KEY.encode())).import_file(path)
    assert (summary.accepted, summary.accounts, summary.contents) == (5, 1, 2)
    assert [str(r) for r in summary.first_rejections] == ["export.jsonl:4: url: not an http(s) URL"]
    settings = Settings(database_url=db_url, policy_file=policy, secret_key=TEST_KEY)
    batch.triage(engine, policy=settings.policy())
    (case,) = queue(engine, limit=10)
    key = create_key(engine, "alice", "moderator")[1]
    with TestClient(create_app(settings, engine=engine, live_detection=False)) as client:
        got = client.get(f"/v1/cases/{case.id}", headers={"Authorization": f"Bearer {key}"})
        assert got.status_code == 200, got.text
        body = got.json()
    assert body["target"]["handle"] == "@ridgeback"
    assert body["target"]["profile_url"] == "https://social.example/@ridgeback"
    items = {i["content_id"]: i for i in body["content"]}
    assert list(items) == ["p-1", "p 2", "p-unknown"]
    assert items["p-1"]["report_ids"] == ["r-1", "r-2", "r-3"]
    assert items["p-1"]["url"] == "https://social.example/@ridgeback/p-1"
    assert items["p-1"]["text"] == "the words of p-1"
    assert items["p-1"]["media_url"] == "https://cdn.example/1.png"
    assert items["p 2"]["url"] == "https://social.example/statuses/p%202"
    assert items["p 2"]["visibility"] == "followers"
    assert items["p-unknown"]["known"] is False
    engine.dispose()
