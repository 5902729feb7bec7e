"""The HTTP API, built by a factory: nothing is opened at import time, each app owns its engine.

``create_app(settings)`` opens the database (migrating it), loads the policy, builds the
importer with the hashing key, and starts live detection when the app starts serving.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.engine import Engine

from reportguard import __version__, dashboard
from reportguard.access.throttle import FailedAuth
from reportguard.api import errors
from reportguard.api.access_log import AccessLog
from reportguard.api.committer import GroupCommitter, writer_engine
from reportguard.api.metrics import Metrics, MetricsMiddleware
from reportguard.api.routes import appeals, campaigns, cases, ingest, oversight
from reportguard.api.security import KeyCache, KeyUse, RateLimits
from reportguard.config import Settings
from reportguard.ingest.hashing import IdentifierHasher
from reportguard.ingest.importer import Importer
from reportguard.notices.templates import notice_templates
from reportguard.pipeline.live import DetectionFeed
from reportguard.store.database import create_engine

DESCRIPTION = """
ReportGuard's API for platforms and moderators.

* **Platforms** (`ingest` keys) send reports and account snapshots, and file appeals for users.
* **Moderators** (`moderator` keys) read the queue, cases, campaigns and records, and decide.
* **Admins** (`admin` keys) may do everything, transparency figures included.

Authenticate with `Authorization: Bearer rg_<id>_<secret>` (create keys with
`reportguard keys create`). Every error is JSON: `{"error": {"status", "code", "message",
"details"}}`. POST requests accept an `Idempotency-Key` header.
"""


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    live_detection: bool | None = None,
) -> FastAPI:
    """A ready-to-serve application for ``settings`` (default: from the environment)."""
    settings = settings or Settings()
    engine = engine or create_engine(settings.resolved_database_url(), **settings.on_open())
    policy = settings.policy()
    # A broken notice template stops the server here, not inside a moderator's decision.
    notice_templates(policy.notices.templates_dir, policy.notices.default_language)
    secret = settings.hashing_key()
    hasher = IdentifierHasher(secret)
    live = settings.api_live_detection if live_detection is None else live_detection
    feed = DetectionFeed(settings, hasher) if live else None
    writer = writer_engine(engine)
    committer = GroupCommitter(Importer(writer, hasher))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if feed is not None:
            feed.start()
        try:
            yield
        finally:
            committer.close()
            if writer is not engine:
                writer.dispose()
            if feed is not None:
                feed.stop()

    app = FastAPI(
        title="ReportGuard",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.policy = policy
    app.state.time_bounds = settings.time_bounds()
    app.state.committer = committer
    app.state.feed = feed
    app.state.rate_limits = RateLimits(settings.api_rate_limit)
    app.state.key_use = KeyUse()
    app.state.failed_auth = FailedAuth(settings.api_auth_failure_limit)
    app.state.key_cache = KeyCache(settings.api_key_cache_seconds)
    app.state.metrics = metrics = Metrics(engine, feed)
    errors.install(app)
    for module in (ingest, cases, campaigns, appeals, oversight):
        app.include_router(module.router, prefix="/v1")
    app.include_router(oversight.probes, prefix="/v1")
    if settings.metrics_enabled:
        app.add_route("/metrics", metrics.render, include_in_schema=False)
    dashboard.install(app, settings, secret=secret)
    app.add_middleware(errors.BodyLimit, max_bytes=settings.api_max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(AccessLog, hash_address=hasher.normalised_ip)  # outermost: sees every answer
    return app
