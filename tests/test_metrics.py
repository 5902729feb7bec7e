"""``/metrics``: Prometheus text, one registry per app, counts that follow what the API did."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session
from tests.helpers import report

from reportguard.access.keys import create_key
from reportguard.api import create_app
from reportguard.config import Settings
from reportguard.outbox.webhooks import enqueue
from reportguard.pipeline.live import FeedStatus
from reportguard.store.database import create_engine
from reportguard.triage.cases import refresh_cases


def samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(answer.text)
        for s in family.samples
    }


@dataclass
class _Feed:
    """Stands in for live detection: a status and a lag."""

    status: FeedStatus

    def lag_seconds(self) -> float:
        return 2.5

    def submit(self, *_args: Any) -> None:
        pass


@pytest.fixture
def apps(tmp_path: Any) -> list[tuple[TestClient, str]]:
    """Two apps in one process, each with its own database and ingest key."""
    made = []
    for name in ("a", "b"):
        config = Settings(database_url=str(tmp_path / f"{name}.db"))
        engine = create_engine(config.resolved_database_url())
        token = create_key(engine, "platform", "ingest", rate_limit="1000/second")[1]
        made.append((TestClient(create_app(config, engine=engine, live_detection=False)), token))
    return made


def test_each_app_counts_its_own_requests_and_records(apps: list[tuple[TestClient, str]]) -> None:
    (a, token_a), (b, token_b) = apps
    headers = {"Authorization": f"Bearer {token_a}"}
    records = [report(1), report(2), report(3, created_at="yesterday")]
    assert (
        a.post("/v1/reports/batch", json={"records": records}, headers=headers).status_code == 207
    )
    assert a.post("/v1/reports", json=report(1), headers=headers).status_code == 200
    a.get("/v1/cases/12")  # 401: counted under the route's template, not its path
    a.get("/nowhere")
    seen = samples(a)
    ingest = "reportguard_ingest_records_total"
    assert seen[(ingest, (("outcome", "accepted"),))] == 2
    assert seen[(ingest, (("outcome", "duplicate"),))] == 1
    assert seen[(ingest, (("outcome", "rejected"),))] == 1
    requests = "reportguard_http_requests_total"
    route = (("method", "POST"), ("route", "/v1/reports/batch"), ("status", "207"))
    assert seen[(requests, route)] == 1
    assert seen[
        (requests, (("method", "GET"), ("route", "/v1/cases/{case_id}"), ("status", "401")))
    ]
    assert seen[(requests, (("method", "GET"), ("route", "unmatched"), ("status", "404")))] == 1
    latency = "reportguard_http_request_duration_seconds_count"
    assert seen[(latency, (("method", "POST"), ("route", "/v1/reports/batch")))] == 1
    assert not any("12" in dict(labels).get("route", "") for _, labels in seen)
    # The other app, in the same process, counted nothing of this.
    other = samples(b)
    assert other[(ingest, (("outcome", "accepted"),))] == 0
    assert (requests, route) not in other
    assert token_b not in str(other)


def test_the_database_and_live_detection_as_gauges(tmp_path: Any) -> None:
    config = Settings(database_url=str(tmp_path / "g.db"))
    engine = create_engine(config.resolved_database_url())
    token = create_key(engine, "platform", "ingest", rate_limit="1000/second")[1]
    app = create_app(config, engine=engine, live_detection=False)
    with TestClient(app) as client:
        records = [report(i, target_id=f"t-{i % 3}") for i in range(9)]
        headers = {"Authorization": f"Bearer {token}"}
        client.post("/v1/reports/batch", json={"records": records}, headers=headers)
        refresh_cases(engine, policy=config.policy())
        with Session(engine) as session, session.begin():
            now = datetime.now(UTC)
            for i in range(4):
                enqueue(session, event_id=f"e{i}", event_type="test", data={}, now=now)
        seen = samples(client)
    assert seen[("reportguard_queue_cases", (("queue", "violation"),))] == 3
    assert seen[("reportguard_queue_cases", (("queue", "dispute"),))] == 0
    assert seen[("reportguard_outbox_events", (("status", "pending"),))] == 4
    assert seen[("reportguard_outbox_events", (("status", "failed"),))] == 0
    assert seen[("reportguard_campaigns", (("status", "active"),))] == 0
    assert ("reportguard_live_detection_lag_seconds", ()) not in seen  # detection is off
    app.state.metrics.registry.unregister(app.state.metrics.stored)
    from reportguard.api.metrics import StoredState

    app.state.metrics.stored = StoredState(engine, _Feed(FeedStatus(ready=True, lag=3)))
    app.state.metrics.registry.register(app.state.metrics.stored)
    with TestClient(app) as client:
        seen = samples(client)
    assert seen[("reportguard_live_detection_lag_seconds", ())] == 2.5
    assert seen[("reportguard_live_detection_backlog_batches", ())] == 3
    assert seen[("reportguard_live_detection_ready", ())] == 1
    engine.dispose()
