"""Server logs: JSON objects with request ids for a collector, never keys or raw addresses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reportguard.access.keys import create_key
from reportguard.api import create_app
from reportguard.cli.logs import configure_logs
from reportguard.config import Settings
from reportguard.store.database import create_engine


def test_json_logs_carry_the_request_id_and_no_secrets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = Settings(database_url=str(tmp_path / "rg.db"))
    engine = create_engine(config.resolved_database_url())
    token = create_key(engine, "alice", "moderator")[1]
    configure_logs("json")
    app = create_app(config, engine=engine, live_detection=False)
    with TestClient(app) as client:
        given = client.get(
            "/v1/cases?secret=shh",
            headers={"Authorization": f"Bearer {token}", "X-Request-ID": "abc-123"},
        )
        made = client.get("/v1/cases", headers={"X-Request-ID": "not a plain token"})
    assert given.headers["X-Request-ID"] == "abc-123"
    assert made.headers["X-Request-ID"] not in ("", "not a plain token")
    err = capsys.readouterr().err
    entries = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    access = [e for e in entries if e["logger"] == "reportguard.access"]
    assert [(e["request_id"], e["path"], e["status"]) for e in access] == [
        ("abc-123", "/v1/cases", 200),
        (made.headers["X-Request-ID"], "/v1/cases", 401),
    ]
    assert access[0]["key"] in token  # the key's public id ...
    assert access[0]["key"] != token  # ... never the key
    assert access[0]["level"] == "info"
    assert "timestamp" in access[0]
    server = json.dumps([e for e in entries if e["logger"] != "httpx"])  # httpx: the test's client
    assert token not in server
    assert "shh" not in server
    assert "testclient" not in server  # the client's address only as a keyed hash
    engine.dispose()


def test_text_logs_are_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = Settings(database_url=str(tmp_path / "rg.db"))
    configure_logs("text")
    with TestClient(create_app(config, live_detection=False)) as client:
        client.get("/v1/health")
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if "/v1/health" in line and "httpx" not in line]
    assert len(lines) == 1
    assert lines[0].split(" ", 1)[1].startswith("GET /v1/health 200 ")
