"""Ingest: validate report and account records, hash network identifiers, store idempotently."""
