"""Property-based fuzzing of the API against its own OpenAPI schema (schemathesis).

Every operation gets generated requests, valid and invalid, with an admin key; every response
must be a non-5xx answer that matches the status codes, headers and bodies the schema declares.
One check is left out: "schema-valid data is accepted". Ingest validates more than a schema can
say (no timestamps before 2000, real IP addresses, exactly one of action/decision/restriction in
an appeal), so a schema-valid request is sometimes rightly refused with 422 naming the field.
(schemathesis's pytest plugin does not run under pytest 9 yet, so the operations are walked here
with its Python API and Hypothesis.)
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance
from tests.helpers import report

from reportguard.access.keys import create_key
from reportguard.api import create_app
from reportguard.config import Settings
from reportguard.store.database import create_engine

EXAMPLES = 25


def test_no_server_errors_and_no_schema_violations(sqlite_url: str) -> None:
    config = Settings(database_url=sqlite_url)
    engine = create_engine(config.resolved_database_url())
    token = create_key(engine, "fuzzer", "admin", rate_limit="100000/second")[1]
    headers = {"Authorization": f"Bearer {token}"}
    app = create_app(config, engine=engine, live_detection=False)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    # Some data to find: a case, a decision and an action, so that reads and writes go deep.
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        client.post(
            "/v1/reports/batch", json={"records": [report(i) for i in range(40)]}, headers=headers
        )
    from reportguard.triage.cases import refresh_cases

    refresh_cases(engine, policy=config.policy())

    failures: dict[str, str] = {}
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def check(case: Any) -> None:
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

        try:
            check()
        except Exception as exc:  # noqa: BLE001 - collected and reported per operation
            failures[operation.label] = str(exc)[:2000]
    engine.dispose()
    assert operations >= 20
    assert not failures, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())
