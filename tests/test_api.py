"""The HTTP API on SQLite and on a real PostgreSQL server: roles, idempotency, partial batches,
limits, concurrent writers, live detection, and a case worked from report to appeal."""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from tests.helpers import account, report
from tests.test_cli import run

from reportguard.access.keys import Principal, create_key
from reportguard.api import create_app
from reportguard.api.errors import ApiError
from reportguard.api.schemas import MAX_BATCH
from reportguard.api.security import RateLimits
from reportguard.config import Settings
from reportguard.store.database import create_engine
from reportguard.store.models import AuditEntry, Campaign, IngestRun, Report


@dataclass
class Api:
    app: FastAPI
    client: TestClient
    engine: Engine
    keys: dict[str, str]

    def h(self, role: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}", **extra}

    def count(self, model: Any) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(model)).scalar_one())


def _api(db_url: str, *, live: bool = False, **settings: Any) -> Iterator[Api]:
    config = Settings(database_url=db_url, **settings)
    engine = create_engine(config.resolved_database_url())
    keys = {}
    for name, role in (("platform", "ingest"), ("alice", "moderator"), ("root", "admin")):
        keys[role] = create_key(engine, name, role, rate_limit="10000/second")[1]
    keys["bob"] = create_key(engine, "bob", "moderator", rate_limit="10000/second")[1]
    app = create_app(config, engine=engine, live_detection=live)
    with TestClient(app) as client:
        yield Api(app, client, engine, keys)
    engine.dispose()


@pytest.fixture
def api(db_url: str) -> Iterator[Api]:
    yield from _api(db_url)


# -- keys and roles ------------------------------------------------------------------------------

ROUTES = [
    # (method, path, body, roles allowed besides admin)
    ("POST", "/v1/reports", report(1), {"ingest"}),
    ("POST", "/v1/reports/batch", {"records": [report(2)]}, {"ingest"}),
    ("POST", "/v1/accounts/batch", {"records": [account("u-1")]}, {"ingest"}),
    ("POST", "/v1/formats/discourse/batch", {"records": [{"id": 1}]}, {"ingest"}),
    ("GET", "/v1/cases", None, {"moderator"}),
    ("GET", "/v1/cases/1", None, {"moderator"}),
    ("POST", "/v1/cases/1/claim", None, {"moderator"}),
    ("POST", "/v1/cases/1/decision", {"outcome": "dispute"}, {"moderator"}),
    ("GET", "/v1/campaigns", None, {"moderator"}),
    ("POST", "/v1/campaigns/1/verdict", {"status": "dismissed"}, {"moderator"}),
    ("GET", "/v1/reporters/u-1/credibility", None, {"moderator"}),
    ("GET", "/v1/actions", None, {"moderator"}),
    ("GET", "/v1/appeals", None, {"moderator"}),
    ("POST", "/v1/appeals", {"appellant": "t-1", "action_id": "act-404"}, {"ingest", "moderator"}),
    ("GET", "/v1/misuse", None, {"moderator"}),
    ("GET", "/v1/audit", None, {"moderator"}),
    ("GET", "/v1/audit/verify", None, {"moderator"}),
    ("GET", "/v1/transparency?from=2026-01-01&to=2027-01-01", None, set()),
]


@pytest.mark.parametrize(("method", "path", "body", "allowed"), ROUTES)
def test_every_role_boundary(
    sqlite_url: str, method: str, path: str, body: Any, allowed: set[str]
) -> None:
    for api in _api(sqlite_url):
        for role in ("ingest", "moderator", "admin"):
            response = api.client.request(method, path, json=body, headers=api.h(role))
            if role in allowed or role == "admin":
                assert response.status_code != 403, (role, response.json())
            else:
                assert response.status_code == 403, role
                assert response.json()["error"]["code"] == "forbidden"
        anonymous = api.client.request(method, path, json=body)
        assert anonymous.status_code == 401
        assert anonymous.headers["WWW-Authenticate"] == "Bearer"


def test_unknown_wrong_and_revoked_keys_are_refused(db_url: str) -> None:
    for api in _api(db_url, api_key_cache_seconds=0.2):
        token = api.keys["moderator"]
        prefix, key_id, _secret = token.split("_", 2)
        for bad in ("nonsense", f"{prefix}_{key_id}_wrong", f"{prefix}_000000000000_x"):
            response = api.client.get("/v1/cases", headers={"Authorization": f"Bearer {bad}"})
            assert response.status_code == 401
            assert "unknown or revoked" in response.json()["error"]["message"]
        assert api.client.get("/v1/cases", headers={"X-API-Key": token}).status_code == 200
        from reportguard.access.keys import revoke_key

        revoke_key(api.engine, key_id)
        time.sleep(0.3)  # the key cache's lifetime (REPORTGUARD_API_KEY_CACHE_SECONDS)
        assert api.client.get("/v1/cases", headers=api.h("moderator")).status_code == 401


def test_keys_cli_creates_lists_and_revokes(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    db = sqlite_url.removeprefix("sqlite:///")
    code, out, err = run(capsys, "--db", db, "keys", "create", "carol", "--role", "admin")
    assert code == 0, err
    token = out.strip().splitlines()[-1]
    assert token.startswith("rg_")
    assert "not shown again" in err
    code, listed, _ = run(capsys, "--db", db, "keys", "list")
    assert "carol" in listed
    assert token.split("_", 2)[2] not in listed  # never the secret (which may hold "_")
    code, _, err = run(capsys, "--db", db, "keys", "create", "x", "--role", "root")
    assert code != 0
    assert "role must be one of" in err
    code, _, err = run(capsys, "--db", db, "keys", "create", "x", "--rate-limit", "fast")
    assert code != 0
    assert "rate limit 'fast' is not understood" in err
    key_id = token.split("_", 2)[1]
    assert run(capsys, "--db", db, "keys", "revoke", key_id)[0] == 0
    assert "carol" not in run(capsys, "--db", db, "keys", "list")[1]
    assert run(capsys, "--db", db, "keys", "revoke", "nope")[0] != 0
    engine = create_engine(sqlite_url)
    with engine.connect() as conn:
        events = conn.execute(sa.select(AuditEntry.event)).scalars().all()
    engine.dispose()
    assert events == ["api_key_created", "api_key_revoked"]


# -- ingest --------------------------------------------------------------------------------------


def test_one_report_stored_once_and_replays_store_nothing(api: Api) -> None:
    first = api.client.post("/v1/reports", json=report(1), headers=api.h("ingest"))
    assert first.status_code == 201
    assert first.json()["accepted"] == 1
    again = api.client.post("/v1/reports", json=report(1), headers=api.h("ingest"))
    assert again.status_code == 200
    assert again.json()["duplicates"] == 1
    keyed = api.h("ingest", **{"Idempotency-Key": "k-1"})
    a = api.client.post("/v1/reports/batch", json={"records": [report(2)]}, headers=keyed)
    b = api.client.post("/v1/reports/batch", json={"records": [report(2)]}, headers=keyed)
    assert a.status_code == b.status_code == 200
    assert a.json() == b.json()  # the first answer, replayed
    assert b.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in a.headers
    other = api.client.post("/v1/reports/batch", json={"records": [report(3)]}, headers=keyed)
    assert other.status_code == 422
    assert "different request" in other.json()["error"]["message"]
    assert api.count(Report) == 2
    with api.engine.connect() as conn:
        stored = conn.execute(sa.select(Report.ip_hash)).scalars().all()
    assert all(h and "198.51" not in h for h in stored)  # hashed, never raw


class _DiesAfterTheCommit:
    """Stands in for live detection: the request's process dies once its records are committed,
    before it can answer (as kill -9 of the server at that moment would leave it)."""

    def __init__(self) -> None:
        self.died = False

    def submit(self, reports: object, accounts: object) -> None:
        if not self.died:
            self.died = True
            raise RuntimeError("the server died here")


def test_a_batch_cut_off_after_its_commit_replays_its_first_answer(db_url: str) -> None:
    # The answer used to be stored after the batch's transaction: a retry after a crash
    # between the two ran again, said "duplicates 500" and opened a second ingest run.
    for api in _api(db_url):
        api.app.state.feed = _DiesAfterTheCommit()
        client = TestClient(api.app, raise_server_exceptions=False)
        keyed = api.h("ingest", **{"Idempotency-Key": "export-7"})
        batch = {"records": [report(i) for i in range(500)]}
        cut = client.post("/v1/reports/batch", json=batch, headers=keyed)
        assert cut.status_code == 500
        retry = client.post("/v1/reports/batch", json=batch, headers=keyed)
        assert retry.status_code == 200, retry.text
        assert retry.headers["Idempotent-Replayed"] == "true"
        assert (retry.json()["accepted"], retry.json()["duplicates"]) == (500, 0)
        assert api.count(IngestRun) == 1
        assert api.count(Report) == 500


def test_partial_bad_batch_keeps_the_good_and_names_each_bad_record(api: Api) -> None:
    records = [
        report(1),
        report(2, created_at="next tuesday"),
        report(3),
        {"report_id": "r-x"},
        "not an object",
        report(4, ip="999.1.1.1"),
    ]
    response = api.client.post(
        "/v1/reports/batch", json={"records": records}, headers=api.h("ingest")
    )
    assert response.status_code == 207
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (2, 4)
    named = {(e["index"], e["field"]) for e in body["errors"]}
    assert {(1, "created_at"), (3, "reporter_id"), (3, "target_id"), (4, "record")} <= named
    assert (5, "ip") in named
    assert not any("999.1.1.1" in e["message"] for e in body["errors"])  # never echoes the value
    assert api.count(Report) == 2
    all_bad = api.client.post(
        "/v1/reports/batch", json={"records": [{"x": 1}]}, headers=api.h("ingest")
    )
    assert all_bad.status_code == 422
    assert all_bad.json()["error"]["details"][0]["index"] == 0
    single_bad = api.client.post("/v1/reports", json={"report_id": "q"}, headers=api.h("ingest"))
    assert single_bad.status_code == 422
    assert {"reporter_id", "target_id", "reason", "created_at"} <= {
        d["field"] for d in single_bad.json()["error"]["details"]
    }
    future = api.client.post(
        "/v1/reports", json=report(77, created_at="2126-01-01T00:00:00Z"), headers=api.h("ingest")
    )
    assert future.status_code == 422
    (detail,) = future.json()["error"]["details"]
    assert detail["field"] == "created_at"
    assert detail["message"].startswith("in the future")


def test_account_snapshots_and_every_write_names_its_key(api: Api) -> None:
    response = api.client.post(
        "/v1/accounts/batch",
        json={
            "records": [
                account("u-1"),
                account("u-2", followers=-1),
                account("u-3", posts=2**70),  # found by the fuzzer: beyond a database BIGINT
            ]
        },
        headers=api.h("ingest"),
    )
    assert response.status_code == 207
    assert response.json()["accounts"] == 1
    assert {(e["index"], e["field"]) for e in response.json()["errors"]} == {
        (1, "followers"),
        (2, "posts"),
    }
    key_id = api.keys["ingest"].split("_")[1]
    with api.engine.connect() as conn:
        entry = conn.execute(sa.select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert entry is not None
    assert entry.event == "records_ingested"
    assert entry.payload["via_key"] == key_id
    assert entry.actor == "platform"


def test_size_limits_answer_413(db_url: str) -> None:
    for api in _api(db_url, api_max_body_bytes=50_000):
        big = {"records": [report(i) for i in range(400)]}
        response = api.client.post("/v1/reports/batch", json=big, headers=api.h("ingest"))
        assert response.status_code == 413
        assert "50,000 bytes" in response.json()["error"]["message"]

        payload = json.dumps(big).encode()

        def chunks(payload: bytes = payload) -> Iterator[bytes]:  # no Content-Length
            for i in range(0, len(payload), 8192):
                yield payload[i : i + 8192]

        chunked = api.client.post(
            "/v1/reports/batch",
            content=chunks(),
            headers=api.h("ingest", **{"Content-Type": "application/json"}),
        )
        assert chunked.status_code == 413
        assert api.count(Report) == 0
    for api in _api(db_url):
        too_many = {"records": [report(i) for i in range(MAX_BATCH + 1)]}
        response = api.client.post("/v1/reports/batch", json=too_many, headers=api.h("ingest"))
        assert response.status_code == 413
        assert f"{MAX_BATCH:,} records" in response.json()["error"]["message"]


def test_rate_limit_per_key_answers_429_with_retry_after(sqlite_url: str) -> None:
    for api in _api(sqlite_url):
        slow = create_key(api.engine, "slow", "moderator", rate_limit="3/minute")[1]
        headers = {"Authorization": f"Bearer {slow}"}
        codes = [api.client.get("/v1/cases", headers=headers).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = api.client.get("/v1/cases", headers=headers)
        assert limited.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(limited.headers["Retry-After"]) <= 60
        # other keys are not affected
        assert api.client.get("/v1/cases", headers=api.h("moderator")).status_code == 200


def test_failed_authentication_is_throttled_per_client_address(sqlite_url: str) -> None:
    # Wrong keys used to be answered 401 as fast as they came: a key could be guessed at speed.
    from reportguard.access.throttle import FailedAuth

    now = [0.0]
    for api in _api(sqlite_url):
        good = api.h("moderator")
        assert api.client.get("/v1/cases", headers=good).status_code == 200  # known good now
        api.app.state.failed_auth = FailedAuth("3/minute", clock=lambda: now[0])
        wrong = {"Authorization": "Bearer rg_nope_0123456789"}
        assert [api.client.get("/v1/cases", headers=wrong).status_code for _ in range(3)] == [
            401, 401, 401
        ]  # fmt: skip
        refused = api.client.get("/v1/cases", headers=wrong)
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "60"
        assert "failed authentications from this address" in refused.json()["error"]["message"]
        assert api.client.get("/v1/cases", headers=good).status_code == 200  # cached: not refused
        assert api.client.get("/v1/cases").status_code == 401  # no key is no failed guess
        now[0] = 61.0
        assert api.client.get("/v1/cases", headers=wrong).status_code == 401  # the window moved


def test_rate_limits_are_a_moving_window_over_every_limit_of_a_key() -> None:
    now = [1000.0]
    limits = RateLimits("2/second;3/minute", clock=lambda: now[0])
    alice, bob = Principal("a", "alice", "ingest"), Principal("b", "bob", "ingest")

    def allowed(who: Principal) -> int | None:
        try:
            limits.check(who)
        except ApiError as exc:
            return int(exc.headers["Retry-After"]) if exc.status == 429 else -exc.status
        return None

    assert [allowed(alice), allowed(alice)] == [None, None]
    assert allowed(alice) == 1  # two in this second; the refused hit is not counted
    assert allowed(bob) is None  # each key has its own windows
    now[0] += 1.0  # the first two left the one-second window, not the minute
    assert allowed(alice) is None
    assert allowed(alice) == 59  # three in the last minute; the oldest leaves it in 59 s
    now[0] += 59.0
    assert allowed(alice) is None
    hourly = Principal("c", "carol", "ingest", rate_limit="1/hour")  # its own limit, not 2/second
    limits.check(hourly)
    with pytest.raises(ApiError, match="1 per 1 hour"):
        limits.check(hourly)


def test_errors_are_json_never_tracebacks(api: Api) -> None:
    m = api.h("moderator")
    assert api.client.get("/v1/cases/999", headers=m).json()["error"]["code"] == "not_found"
    assert api.client.get("/v1/nowhere", headers=m).status_code == 404
    bad_query = api.client.get("/v1/cases?limit=0", headers=m)
    assert bad_query.status_code == 422
    assert bad_query.json()["error"]["details"][0]["field"] == "limit"
    bad_json = api.client.post(
        "/v1/reports/batch",
        content=b"{not json",
        headers=api.h("ingest", **{"Content-Type": "application/json"}),
    )
    assert bad_json.status_code == 400  # not JSON at all: a bad request, not an invalid one
    assert "error" in bad_json.json()


def test_the_schema_says_what_the_api_enforces(api: Api) -> None:
    # Gaps a fuzzing campaign found between /openapi.json and the answers (#24).
    spec = api.client.get("/openapi.json").json()
    batch = spec["paths"]["/v1/reports/batch"]["post"]
    (key,) = [p for p in batch["parameters"] if p["name"] == "Idempotency-Key"]
    assert {"minLength": 1, "maxLength": 200}.items() <= key["schema"]["anyOf"][0].items()
    assert "400" in batch["responses"]
    schemas = spec["components"]["schemas"]
    accounts = schemas["AccountBatch"]["properties"]["records"]["items"]
    assert {"account_id", "created_at"} <= set(accounts["required"])
    assert [s["required"] for s in schemas["AppealIn"]["oneOf"]] == [
        ["action_id"], ["decision_id"], ["restriction_id"]
    ]  # fmt: skip
    broken = api.client.post(
        "/v1/reports/batch",
        content=b'{"records": [',
        headers=api.h("ingest", **{"Content-Type": "application/json"}),
    )
    assert broken.status_code == 400
    assert broken.json()["error"]["message"].startswith("the body is not valid JSON")
    long_key = api.h("ingest", **{"Idempotency-Key": "k" * 201})
    refused = api.client.post("/v1/reports", json=report(9), headers=long_key)
    assert refused.status_code == 422
    for path in ("/v1/cases", "/dashboard/login"):
        wrong = api.client.delete(path)
        assert wrong.status_code == 405
        assert wrong.headers["Allow"], path


def test_serve_freezes_what_is_loaded_before_it_serves(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The libraries and the app stay out of the collector's full passes (a stall of every
    request in flight otherwise); uvicorn itself is replaced here, so nothing listens."""
    import gc

    import uvicorn

    frozen: list[int] = []
    monkeypatch.setattr(uvicorn, "run", lambda *_a, **_k: frozen.append(gc.get_freeze_count()))
    try:
        code, _, err = run(
            capsys, "--db", str(tmp_path / "x.db"), "serve", "--port", str(_free_port())
        )
    finally:
        gc.unfreeze()
    assert code == 0, err
    assert len(frozen) == 1
    assert frozen[0] > 10_000


# -- concurrent writers on a real server ---------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(db_url: str) -> Iterator[tuple[str, Api]]:
    import uvicorn

    for api in _api(db_url):
        port = _free_port()
        server = uvicorn.Server(uvicorn.Config(api.app, port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.started
        yield f"http://127.0.0.1:{port}", api
        server.should_exit = True
        thread.join(10)


def test_parallel_clients_neither_lose_nor_duplicate_reports(served: tuple[str, Api]) -> None:
    url, api = served

    # 8 clients, each sending 10 batches of 50; neighbouring clients overlap by half, and every
    # client sends its first batch twice (a retry), so most report ids arrive two or three times.
    def client(n: int) -> tuple[int, int]:
        accepted = duplicates = 0
        with httpx.Client(base_url=url, headers=api.h("ingest"), timeout=60) as http:
            for b in [0, *range(10)]:
                start = n * 250 + b * 50
                records = [report(i) for i in range(start, start + 50)]
                response = http.post("/v1/reports/batch", json={"records": records})
                assert response.status_code == 200, response.text
                accepted += response.json()["accepted"]
                duplicates += response.json()["duplicates"]
        return accepted, duplicates

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(client, range(8)))
    expected = 7 * 250 + 500
    assert api.count(Report) == expected
    assert sum(a for a, _ in results) == expected  # each stored report counted once
    assert sum(a + d for a, d in results) == 8 * 11 * 50
    with api.engine.connect() as conn:
        ids = conn.execute(sa.select(Report.report_id)).scalars().all()
        runs = conn.execute(sa.select(sa.func.sum(IngestRun.accepted))).scalar_one()
    assert len(ids) == len(set(ids))
    assert runs == expected
    assert api.client.get("/v1/audit/verify", headers=api.h("admin")).json()["ok"]


# -- live detection ------------------------------------------------------------------------------


def _records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_live_detection_flags_while_streaming_and_settles_to_batch(
    sqlite_url: str, small_simulation: Path
) -> None:
    from reportguard.detect.campaigns import CampaignDetector
    from reportguard.detect.frame import ReportFrame

    for api in _api(sqlite_url, live=True):
        feed = api.app.state.feed
        accounts = _records(small_simulation / "accounts.jsonl")
        reports = sorted(
            _records(small_simulation / "reports.jsonl"), key=lambda r: r["created_at"]
        )
        for i in range(0, len(accounts), MAX_BATCH):
            batch = {"records": accounts[i : i + MAX_BATCH]}
            assert (
                api.client.post(
                    "/v1/accounts/batch", json=batch, headers=api.h("ingest")
                ).status_code
                == 200
            )
        shielded_while_streaming = 0
        for i in range(0, len(reports), 4000):
            batch = {"records": reports[i : i + 4000]}
            response = api.client.post("/v1/reports/batch", json=batch, headers=api.h("ingest"))
            assert response.status_code == 200
            assert feed.wait_idle(120)
            page = api.client.get("/v1/cases?shielded=true&limit=1", headers=api.h("moderator"))
            shielded_while_streaming = max(shielded_while_streaming, page.json()["total"])
        assert feed.status.error is None
        assert feed.status.campaigns_flagged >= 7  # flagged as the reports came in
        assert shielded_while_streaming >= 1
        feed.settle()
        assert feed.wait_idle(300)
        with api.engine.connect() as conn:
            stored = conn.execute(sa.select(Campaign.campaign_key)).scalars().all()
        batch_keys = [
            c.key
            for c in CampaignDetector.default().run(ReportFrame.from_database(api.engine)).campaigns
        ]
        assert sorted(stored) == sorted(batch_keys)
        ready = api.client.get("/v1/ready").json()
        assert ready["ready"]
        assert ready["detection"]["reports_seen"] == len(reports)


# -- a case worked over the API, from report to appeal -----------------------------------------


def test_a_case_from_reports_to_decision_to_appeal_by_another_moderator(db_url: str) -> None:
    for api in _api(db_url, live=True):
        records = [report(i, target_id="t-bad", reporter_id=f"u-{i}") for i in range(12)]
        api.client.post("/v1/reports/batch", json={"records": records}, headers=api.h("ingest"))
        assert api.app.state.feed.wait_idle(60)
        alice, bob = api.h("moderator"), api.h("bob")
        queue = api.client.get("/v1/cases", headers=alice).json()
        assert queue["total"] == 1
        case = queue["items"][0]
        assert case["target_id"] == "t-bad"
        assert case["why"]
        case_id = case["id"]
        assert (
            api.client.post(
                f"/v1/cases/{case_id}/decision", json={"outcome": "violation"}, headers=alice
            ).status_code
            == 409
        )  # not claimed
        unheld = api.client.post(f"/v1/cases/{case_id}/release", headers=alice)
        assert unheld.status_code == 409, unheld.text  # no claim to release (it answered 204)
        assert "not claimed" in unheld.json()["error"]["message"]
        assert api.client.post(f"/v1/cases/{case_id}/claim", headers=alice).status_code == 200
        taken = api.client.post(f"/v1/cases/{case_id}/claim", headers=bob)
        assert taken.status_code == 409
        assert "claimed by alice" in taken.json()["error"]["message"]
        decided = api.client.post(
            f"/v1/cases/{case_id}/decision",
            json={"outcome": "violation", "reason": "threats"},
            headers=alice,
        )
        assert decided.status_code == 201, decided.json()
        action_id = decided.json()["action"]["action_id"]
        detail = api.client.get(f"/v1/cases/{case_id}", headers=alice).json()
        assert detail["case"]["status"] == "decided"
        assert {r["verdict"] for r in detail["reports"]} == {"upheld"}
        assert detail["actions"][0]["action_id"] == action_id
        assert "decision" in {h["event"] for h in detail["history"]}
        # the platform files the account's appeal; the moderator who decided may not decide it
        filed = api.client.post(
            "/v1/appeals",
            json={"appellant": "t-bad", "action_id": action_id, "statement": "it was a joke"},
            headers=api.h("ingest"),
        )
        assert filed.status_code == 201, filed.json()
        appeal_id = filed.json()["id"]
        # Reading the appeals queue once an appeal against an action exists (it answered 500).
        listed = api.client.get("/v1/appeals", headers=alice)
        assert listed.status_code == 200, listed.text
        assert [a["id"] for a in listed.json()["items"]] == [appeal_id]
        one = api.client.get(f"/v1/appeals/{appeal_id}", headers=alice)
        assert one.status_code == 200, one.text
        assert one.json()["action_id"] == action_id
        wrong = api.client.post(
            "/v1/appeals",
            json={"appellant": "someone", "action_id": action_id},
            headers=api.h("ingest"),
        )
        assert wrong.status_code == 403
        own = api.client.post(
            f"/v1/appeals/{appeal_id}/decision", json={"outcome": "overturned"}, headers=alice
        )
        assert own.status_code == 403
        overturned = api.client.post(
            f"/v1/appeals/{appeal_id}/decision", json={"outcome": "overturned"}, headers=bob
        )
        assert overturned.status_code == 200, overturned.json()
        action = api.client.get(f"/v1/actions/{action_id}", headers=alice).json()
        assert action["status"] == "reversed"
        credibility = api.client.get("/v1/reporters/u-1/credibility", headers=alice).json()
        assert credibility["standings"][0]["rejected"] > 0  # the overturn counted against them
        assert api.client.get("/v1/audit/verify", headers=alice).json()["ok"]


def test_a_nul_byte_is_refused_by_name_and_the_batch_kept(api: Api) -> None:
    records = [report(300), report(301, text="a\u0000b"), report(302)]
    response = api.client.post(
        "/v1/reports/batch", json={"records": records}, headers=api.h("ingest")
    )
    assert response.status_code == 207
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (2, 1)
    (error,) = body["errors"]
    assert (error["index"], error["field"]) == (1, "text")
    assert "U+0000" in error["message"]
    assert api.count(Report) == 2


def test_a_reused_report_id_for_another_report_is_refused_by_name(api: Api) -> None:
    assert api.client.post("/v1/reports", json=report(400), headers=api.h("ingest")).status_code
    records = [report(400), report(401), report(400, target_id="t-elsewhere")]
    response = api.client.post(
        "/v1/reports/batch", json={"records": records}, headers=api.h("ingest")
    )
    assert response.status_code == 207
    body = response.json()
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (1, 1, 1)
    (error,) = body["errors"]
    assert (error["index"], error["field"]) == (2, "target_id")
    assert "already stored" in error["message"]
    single = api.client.post(
        "/v1/reports", json=report(401, reporter_id="u-else"), headers=api.h("ingest")
    )
    assert single.status_code == 422
    assert single.json()["error"]["details"][0]["field"] == "reporter_id"
    with api.engine.connect() as conn:
        kept = conn.execute(
            sa.select(Report.target_id).where(Report.report_id == "r-400")
        ).scalar_one()
        runs = conn.execute(sa.select(IngestRun.rejected).order_by(IngestRun.id)).scalars().all()
    assert kept == report(400)["target_id"]
    assert runs[-2:] == [1, 1]


def test_the_access_log_has_a_line_per_request_without_keys_or_addresses(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="reportguard.access")
    token = api.keys["moderator"]
    api.client.get("/v1/cases?limit=2&secret=shh", headers=api.h("moderator"))
    api.client.get("/v1/cases")  # no key: 401
    lines = [r.getMessage() for r in caplog.records if r.name == "reportguard.access"]
    assert len(lines) == 2
    assert lines[0].startswith("GET /v1/cases 200 ")
    assert lines[1].startswith("GET /v1/cases 401 ")
    key_id = lines[0].split("key=")[1].split()[0]
    assert key_id != "-"
    assert key_id in token  # the public part of the key ...
    assert lines[1].split("key=")[1].split()[0] == "-"
    for line in lines:
        assert token not in line  # ... never the key itself
        assert "shh" not in line  # nor the query string
        assert "testclient" not in line  # nor the client's address, only its hash
        assert re.search(r"client=[0-9a-f]{12}$", line)
