"""``/metrics`` in the Prometheus text format, for the operator's monitoring.

Built per app (``create_app``) with a registry of its own, never prometheus-client's global one:
two apps in one process (tests, an embedding application) count separately. What changes with
every request is counted as it happens (requests by route and status, their latency, ingested
records); what the database holds (the queue by queue, the outbox, campaigns) and the state of
live detection are read when Prometheus scrapes, so they are never stale and cost nothing between
scrapes. Labels are route templates (``/v1/cases/{case_id}``), never raw paths, ids or keys.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reportguard.store.models import Campaign, Case, WebhookDelivery

# Seconds: the API answers in milliseconds; a slow commit or a big page takes a second or more.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The counters of one app, and the registry ``/metrics`` renders."""

    def __init__(self, engine: Engine, feed: Any | None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "reportguard_http_requests",
            "HTTP requests answered, by route template, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "reportguard_http_request_duration_seconds",
            "Time from a request's arrival to the end of its answer, by route template.",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.ingested = Counter(
            "reportguard_ingest_records",
            "Records sent to the ingest API, by what became of them.",
            ["outcome"],
            registry=self.registry,
        )
        for outcome in ("accepted", "duplicate", "rejected", "account"):
            self.ingested.labels(outcome)  # present at 0 before the first request
        self.stored = StoredState(engine, feed)
        self.registry.register(self.stored)

    def count_ingest(self, *, accepted: int, duplicates: int, rejected: int, accounts: int) -> None:
        for outcome, n in (
            ("accepted", accepted),
            ("duplicate", duplicates),
            ("rejected", rejected),
            ("account", accounts),
        ):
            if n:
                self.ingested.labels(outcome).inc(n)

    def render(self, _request: Request) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


class StoredState(Collector):
    """Gauges read at scrape time: the queue, the outbox, campaigns, live detection."""

    def __init__(self, engine: Engine, feed: Any | None) -> None:
        self.engine = engine
        self.feed = feed

    def describe(self) -> list[Metric]:
        return []  # collected fresh each scrape; nothing to describe in advance

    def collect(self) -> Iterator[Metric]:
        queue = GaugeMetricFamily(
            "reportguard_queue_cases",
            "Open cases waiting for a moderator, by queue.",
            labels=["queue"],
        )
        outbox = GaugeMetricFamily(
            "reportguard_outbox_events",
            "Webhook events in the outbox, by status (failed: given up after every retry).",
            labels=["status"],
        )
        retrying = GaugeMetricFamily(
            "reportguard_outbox_retrying_events",
            "Pending webhook events whose last delivery attempt failed.",
        )
        oldest = GaugeMetricFamily(
            "reportguard_outbox_oldest_pending_age_seconds",
            "Age of the oldest webhook event not delivered yet (0 when none waits).",
        )
        campaigns = GaugeMetricFamily(
            "reportguard_campaigns", "Campaigns found, by status.", labels=["status"]
        )
        with self.engine.connect() as conn:
            open_cases = dict(
                conn.execute(
                    sa.select(Case.queue, sa.func.count())
                    .where(Case.status == "open")
                    .group_by(Case.queue)
                ).all()
            )
            for name in sorted({"violation", "dispute", *open_cases}):
                queue.add_metric([name], open_cases.get(name, 0))
            events = dict(
                conn.execute(
                    sa.select(WebhookDelivery.status, sa.func.count()).group_by(
                        WebhookDelivery.status
                    )
                ).all()
            )
            for status in sorted({"pending", "delivered", "failed", *events}):
                outbox.add_metric([status], events.get(status, 0))
            pending = WebhookDelivery.status == "pending"
            retrying.add_metric(
                [],
                conn.execute(
                    sa.select(sa.func.count()).where(
                        pending, WebhookDelivery.last_error.is_not(None)
                    )
                ).scalar_one(),
            )
            first = conn.execute(
                sa.select(sa.func.min(WebhookDelivery.created_at)).where(pending)
            ).scalar()
            oldest.add_metric([], _age(first))
            found = dict(
                conn.execute(
                    sa.select(Campaign.status, sa.func.count()).group_by(Campaign.status)
                ).all()
            )
            for status in sorted({"active", "confirmed", "dismissed", *found}):
                campaigns.add_metric([status], found.get(status, 0))
        yield from (queue, outbox, retrying, oldest, campaigns)
        yield from self._detection()

    def _detection(self) -> Iterator[Metric]:
        enabled = GaugeMetricFamily(
            "reportguard_live_detection_ready",
            "1 once live detection has read the stored reports and its last pass succeeded.",
        )
        lag = GaugeMetricFamily(
            "reportguard_live_detection_lag_seconds",
            "How long the oldest stored report not yet through live detection has waited.",
        )
        backlog = GaugeMetricFamily(
            "reportguard_live_detection_backlog_batches",
            "Batches of stored reports handed to live detection and not yet through it.",
        )
        last = GaugeMetricFamily(
            "reportguard_live_detection_last_pass_seconds", "How long the last pass took."
        )
        flagged = GaugeMetricFamily(
            "reportguard_live_detection_campaigns_flagged",
            "Campaigns live detection flagged or grew since the server started.",
        )
        feed = self.feed
        if feed is not None:
            status = feed.status
            enabled.add_metric([], float(bool(status.ready and status.error is None)))
            lag.add_metric([], feed.lag_seconds())
            backlog.add_metric([], status.lag)
            last.add_metric([], status.last_pass_s)
            flagged.add_metric([], status.campaigns_flagged)
            yield from (enabled, lag, backlog, last, flagged)


def _age(at: Any) -> float:
    if at is None:
        return 0.0
    seconds = time.time() - float(at.timestamp())
    return max(seconds, 0.0)


class MetricsMiddleware:
    """Counts every HTTP request by route template, method and status, and times it."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            route = _route(scope)
            method = scope["method"]
            self.metrics.requests.labels(route, method, str(status[0])).inc()
            self.metrics.latency.labels(route, method).observe(time.perf_counter() - started)


def _route(scope: Scope) -> str:
    """The matched route's template (``/v1/cases/{case_id}``), from the path with each path
    parameter's value put back as its name; one label for every path that matched no route."""
    if scope.get("route") is None:
        return "unmatched"
    params = {str(v): k for k, v in (scope.get("path_params") or {}).items()}
    path: str = scope["path"]
    if not params:
        return path
    parts = path.split("/")
    return "/".join(f"{{{params[p]}}}" if p in params else p for p in parts)
