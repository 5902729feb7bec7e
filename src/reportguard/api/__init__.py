"""The HTTP API (FastAPI): ingest, cases, campaigns, appeals and records, with roles."""

from reportguard.api.app import create_app

__all__ = ["create_app"]
