"""Platform formats: each imports its fixtures (written from the public specifications, see
tests/fixtures/formats/README.md) with every field mapped, rejects its malformed variants with
the record and the platform's own field named, and its reports reach the queue, on SQLite and
PostgreSQL; a remote server's flags are one reporter that detection leaves out."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from tests.conftest import TEST_KEY
from tests.test_cli import run

from reportguard.ingest.formats import adapter
from reportguard.ingest.hashing import IdentifierHasher
from reportguard.ingest.importer import Importer, IngestSummary
from reportguard.pipeline import batch
from reportguard.policy import load_policy
from reportguard.store import models as m
from reportguard.triage.cases import queue

FIXTURES = Path(__file__).parent / "fixtures" / "formats"
POLICY = load_policy()


def imported(engine: Engine, name: str, path: Path) -> IngestSummary:
    importer = Importer(engine, IdentifierHasher(TEST_KEY.encode()), adapter=adapter(name, POLICY))
    return importer.import_file(path)


def rows(engine: Engine, model: type[m.Base]) -> list[m.Base]:
    with Session(engine) as session:
        return list(session.scalars(sa.select(model)))


def rejects(summary: IngestSummary) -> list[dict]:  # type: ignore[type-arg]
    assert summary.rejects_path is not None
    return [json.loads(line) for line in summary.rejects_path.read_text().splitlines()]


def fields(summary: IngestSummary) -> list[str]:
    return [e["field"] for line in rejects(summary) for e in line["errors"]]


def test_mastodon_admin_reports(engine: Engine, tmp_path: Path) -> None:
    path = shutil.copy(FIXTURES / "mastodon-reports.json", tmp_path)
    summary = imported(engine, "mastodon", Path(path))
    assert (summary.records, summary.accepted, summary.accounts, summary.contents) == (2, 2, 4, 2)
    assert summary.rejected == 0
    assert not summary.ignored_fields
    reports = {r.report_id: r for r in rows(engine, m.Report)}  # type: ignore[attr-defined]
    dox = reports["1042"]
    assert (dox.reporter_id, dox.target_id, dox.content_id) == ("110531", "208877", "111555000111")
    assert dox.reason == "other"  # violation, rule 3 unmapped in the default policy
    assert dox.text.startswith("Keeps posting my home address")
    assert dox.source == "mastodon"
    assert dox.outcome is None
    assert dox.ip_hash == IdentifierHasher(TEST_KEY.encode()).ip("203.0.113.24")
    spam = reports["1043"]
    assert (spam.reason, spam.outcome) == ("spam", "upheld")
    assert spam.resolved_at.isoformat() == "2026-10-03T11:00:00+00:00"
    accounts = {a.account_id: a for a in rows(engine, m.Account)}  # type: ignore[attr-defined]
    assert (accounts["110531"].followers, accounts["110531"].posts) == (412, 5120)
    assert accounts["110531"].language == "de"
    assert accounts["301122"].handle == "deals4u@remote.example"
    contents = {c.content_id: c for c in rows(engine, m.Content)}  # type: ignore[attr-defined]
    post = contents["111555000111"]
    assert post.text == "She lives at 12 Example Lane. Go say hi & bring friends."
    assert (post.kind, post.visibility, post.account_id) == ("reply", "public", "208877")
    assert post.url == "https://social.example/@ridgeback/111555000111"
    assert post.media_url == "https://files.social.example/media/9001.png"
    assert contents["111555000222"].visibility == "unlisted"


def test_mastodon_rules_map_through_the_policy(sqlite_engine: Engine, tmp_path: Path) -> None:
    policy = POLICY.model_copy(
        update={
            "formats": {
                **POLICY.formats,
                "mastodon": POLICY.formats["mastodon"].model_copy(
                    update={"rules": {"3": "harassment"}}
                ),
            }
        }
    )
    importer = Importer(
        sqlite_engine, IdentifierHasher(TEST_KEY.encode()), adapter=adapter("mastodon", policy)
    )
    importer.import_file(Path(shutil.copy(FIXTURES / "mastodon-reports.json", tmp_path)))
    with sqlite_engine.connect() as conn:
        reason = conn.scalar(sa.select(m.Report.reason).where(m.Report.report_id == "1042"))
    assert reason == "harassment"


def test_mastodon_malformed_variants_are_named(sqlite_engine: Engine, tmp_path: Path) -> None:
    path = Path(shutil.copy(FIXTURES / "mastodon-malformed.json", tmp_path))
    summary = imported(sqlite_engine, "mastodon", path)
    assert summary.accepted == 0
    assert summary.rejected == 4
    assert fields(summary) == ["target_account", "category", "created_at", "action_taken_at"]
    assert [line["location"] for line in rejects(summary)] == [f"item {n}" for n in (1, 2, 3, 4)]
    assert str(summary.first_rejections[0]).startswith(
        "mastodon-malformed.json:1: target_account: required field is missing"
    )
    text = summary.rejects_path.read_text()  # type: ignore[union-attr]
    assert "203.0.113.99" not in text
    assert "[redacted]" in text


def test_activitypub_flags_are_one_reporter_per_server(engine: Engine, tmp_path: Path) -> None:
    path = Path(shutil.copy(FIXTURES / "activitypub-flags.jsonl", tmp_path))
    summary = imported(engine, "activitypub", path)
    assert (summary.accepted, summary.contents, summary.rejected) == (3, 1, 0)
    reports = {r.report_id: r for r in rows(engine, m.Report)}  # type: ignore[attr-defined]
    first = reports["https://remote.example/flags/6c1f0a4e"]
    assert first.reporter_id == "https://remote.example/actor"
    assert first.reporter_kind == "server"
    assert first.target_id == "https://social.example/users/ridgeback"
    assert first.content_id == "https://social.example/users/ridgeback/statuses/111555000111"
    assert reports["https://remote.example/flags/7d2e1b5f"].created_at.hour == 11
    derived = [r for r in reports.values() if r.report_id.startswith("flag:")]
    assert [r.reporter_id for r in derived] == ["https://other.example/actor"]
    assert derived[0].text == "harassing our members"
    assert {r.reporter_id for r in reports.values()} == {
        "https://remote.example/actor",
        "https://other.example/actor",
    }
    again = imported(engine, "activitypub", path)  # the derived id is stable: nothing twice
    assert (again.accepted, again.duplicates) == (0, 3)


def test_activitypub_malformed_variants_are_named(sqlite_engine: Engine, tmp_path: Path) -> None:
    path = Path(shutil.copy(FIXTURES / "activitypub-malformed.jsonl", tmp_path))
    summary = imported(sqlite_engine, "activitypub", path)
    assert fields(summary) == ["type", "published", "actor", "object[1]"]
    assert "not an http(s) URL" in rejects(summary)[3]["errors"][0]["message"]
    assert [line["location"] for line in rejects(summary)] == [f"line {n}" for n in (1, 2, 3, 4)]


def test_atproto_reports(engine: Engine, tmp_path: Path) -> None:
    path = Path(shutil.copy(FIXTURES / "atproto-reports.jsonl", tmp_path))
    summary = imported(engine, "atproto", path)
    assert (summary.accepted, summary.contents, summary.rejected) == (3, 1, 0)
    reports = {r.report_id: r for r in rows(engine, m.Report)}  # type: ignore[attr-defined]
    post = reports["5001"]
    assert post.target_id == "did:plc:ewvi7nxzyoun6zhxrhs64oiz"
    assert post.content_id.startswith("at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/")
    assert (post.reporter_id, post.reason) == ("did:plc:44ybard66vv44zksje25o7dz", "harassment")
    assert (reports["5002"].reason, reports["5002"].content_id) == ("impersonation", None)
    assert reports["5003"].reason == "other"  # an open enum: an unknown token takes the default
    (content,) = rows(engine, m.Content)
    assert (content.kind, content.account_id) == ("post", "did:plc:ewvi7nxzyoun6zhxrhs64oiz")  # type: ignore[attr-defined]


def test_atproto_malformed_variants_are_named(sqlite_engine: Engine, tmp_path: Path) -> None:
    path = Path(shutil.copy(FIXTURES / "atproto-malformed.jsonl", tmp_path))
    summary = imported(sqlite_engine, "atproto", path)
    assert summary.accepted == 0
    assert fields(summary) == ["subject.cid", "subject.did", "reasonType", "subject.$type"]


def test_discourse_flags_with_outcomes(engine: Engine, tmp_path: Path) -> None:
    path = Path(shutil.copy(FIXTURES / "discourse-flags.csv", tmp_path))
    summary = imported(engine, "discourse", path)
    assert (summary.accepted, summary.contents, summary.rejected) == (4, 4, 0)
    reports = {r.report_id: r for r in rows(engine, m.Report)}  # type: ignore[attr-defined]
    assert [reports[i].reason for i in ("7001", "7002", "7003", "7004")] == [
        "spam", "harassment", "other", "other"
    ]  # fmt: skip
    assert [reports[i].outcome for i in ("7001", "7002", "7003", "7004")] == [
        "upheld", "rejected", None, None
    ]  # fmt: skip
    assert (reports["7001"].reporter_id, reports["7001"].target_id) == ("41", "77")
    assert reports["7001"].content_id == "880"
    content = {c.content_id: c for c in rows(engine, m.Content)}  # type: ignore[attr-defined]
    assert content["880"].title == "Cheap watches"
    assert content["880"].url == "https://forum.example/t/cheap-watches/120/4"
    status = Path(shutil.copy(FIXTURES / "discourse-flag-status.csv", tmp_path))
    summary = imported(engine, "discourse", status)
    assert (summary.accepted, summary.rejected) == (2, 0)
    with engine.connect() as conn:
        got = conn.execute(
            sa.select(m.Report.report_id, m.Report.content_id, m.Report.outcome).where(
                m.Report.reporter_id.in_(["45", "46"])
            )
        ).all()
    assert sorted(got) == [("45:t/120/4", "t/120/4", "upheld"), ("46:t/121/2", "t/121/2", None)]


def test_discourse_malformed_variants_are_named(sqlite_engine: Engine, tmp_path: Path) -> None:
    path = Path(shutil.copy(FIXTURES / "discourse-malformed.csv", tmp_path))
    summary = imported(sqlite_engine, "discourse", path)
    assert summary.accepted == 0
    assert fields(summary) == ["post_action_type_id", "poster_id", "created_at", "post_id"]
    assert "is a like, not a flag" in rejects(summary)[0]["errors"][0]["message"]


def test_every_format_round_trips_through_the_queue(engine: Engine, tmp_path: Path) -> None:
    for name, fixture in (
        ("mastodon", "mastodon-reports.json"),
        ("activitypub", "activitypub-flags.jsonl"),
        ("atproto", "atproto-reports.jsonl"),
        ("discourse", "discourse-flags.csv"),
    ):
        imported(engine, name, Path(shutil.copy(FIXTURES / fixture, tmp_path)))
    detection = batch.detect(engine, policy=POLICY)
    assert all("https://remote.example/actor" not in c.members for c in detection.campaigns)
    batch.triage(engine, policy=POLICY)
    targets = {c.target_id for c in queue(engine, limit=100)}
    # resolved reports open no case (they are the platform's history): 1043, 7001, 7002
    assert targets >= {
        "208877",  # mastodon
        "https://social.example/users/ridgeback",  # activitypub: one case, two servers
        "did:plc:ewvi7nxzyoun6zhxrhs64oiz",  # atproto
        "78",  # discourse, the deferred flag
    }
    flagged = next(c for c in queue(engine, limit=100) if c.target_id.endswith("/users/ridgeback"))
    assert flagged.n_reports == 3
    assert flagged.n_voices == 2  # one voice per server


def test_without_servers_leaves_people_alone(sqlite_engine: Engine, tmp_path: Path) -> None:
    from reportguard.detect.frame import ReportFrame

    for name, fixture in (
        ("activitypub", "activitypub-flags.jsonl"),
        ("atproto", "atproto-reports.jsonl"),
    ):
        imported(sqlite_engine, name, Path(shutil.copy(FIXTURES / fixture, tmp_path)))
    frame = ReportFrame.from_database(sqlite_engine)
    assert len(frame) == 6
    assert len(batch.without_servers(sqlite_engine, frame)) == 3


def test_cli_format_option(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = str(tmp_path / "rg.db")
    good = shutil.copy(FIXTURES / "mastodon-reports.json", tmp_path)
    code, out, err = run(capsys, "--db", db, "ingest", "--format", "mastodon", str(good))
    assert code == 0, err
    assert "contents" in out
    assert "2 records" in out
    bad = shutil.copy(FIXTURES / "discourse-malformed.csv", tmp_path)
    code, out, err = run(capsys, "--db", db, "ingest", "--format", "discourse", str(bad))
    assert code == 1
    assert "discourse-malformed.csv:2: post_action_type_id: 2 is a like, not a flag" in err
    code, _, err = run(
        capsys, "--db", db, "ingest", "--format", "discourse", "--map", "a=b", str(bad)
    )
    assert code == 2
    assert "--map" in err


def test_policy_check_names_a_bad_mapping(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = (Path(__file__).parents[1] / "src/reportguard/policy/default.toml").read_text()
    unknown_reason = tmp_path / "a.toml"
    unknown_reason.write_text(text.replace('spam = "spam", violation', 'spam = "junk", violation'))
    code, _, err = run(capsys, "policy", "check", str(unknown_reason))
    assert code == 2
    assert "formats.mastodon.reasons.spam: 'junk' is not a reason" in err
    unknown_word = tmp_path / "b.toml"
    unknown_word.write_text(text.replace("off_topic = ", "offtopic = "))
    code, _, err = run(capsys, "policy", "check", str(unknown_word))
    assert code == 2
    assert "formats.discourse.reasons.offtopic: not a word discourse sends" in err
    default = Path(__file__).parents[1] / "src/reportguard/policy/default.toml"
    code, out, _ = run(capsys, "policy", "check", str(default))
    assert code == 0
    assert "4 platform formats" in out


def test_the_api_takes_a_format_and_names_the_platform_field(db_url: str) -> None:
    from tests.test_api import _api

    good = json.loads((FIXTURES / "mastodon-reports.json").read_text())
    bad = json.loads((FIXTURES / "mastodon-malformed.json").read_text())[:1]
    for api in _api(db_url):
        answer = api.client.post(
            "/v1/formats/mastodon/batch", json={"records": good + bad}, headers=api.h("ingest")
        )
        assert answer.status_code == 207, answer.text
        body = answer.json()
        assert (body["accepted"], body["accounts"], body["contents"]) == (2, 4, 2)
        assert body["errors"] == [
            {"index": 2, "field": "target_account", "message": "required field is missing"}
        ]
        unknown = api.client.post(
            "/v1/formats/myspace/batch", json={"records": good}, headers=api.h("ingest")
        )
        assert unknown.status_code == 422
        with api.engine.connect() as conn:
            kinds = conn.scalars(sa.select(m.Report.source).distinct()).all()
        assert kinds == ["mastodon"]
