"""Benchmark: what survives kill -9, of the server while it ingests and of webhook deliverers.

    python benchmarks/faults.py [--db sqlite|postgresql://...] [--kills 5] [--deliverers 3]

1. **Server kills**: `reportguard serve` (no live detection, no receipts to reporters) on a fresh
   database; a client sends batches of 100 new reports, each with its own Idempotency-Key, and
   retries a batch (same key) until it is answered, whatever happens to the server. Every few
   seconds the server is killed with SIGKILL mid-stream and started again on the same port.
   At the end: reports sent
   (acknowledged), stored, duplicated (stored more than once: impossible by the schema, counted
   anyway) and lost (acknowledged, not stored), and the ingest runs against the batches (a retry
   whose first try committed must replay its answer, not open a second run).
2. **Deliverer kills**: the outbox is filled with events; several `reportguard webhooks deliver`
   processes post them to a local receiver that counts deliveries per `webhook-id`; every few
   seconds one of them is killed with SIGKILL and started again. Events a killed deliverer held
   wait for their lease; the benchmark then runs one pass with the clock moved past the lease
   (as the next deliverer would after waiting it out) and counts deliveries per event.

Prints the figures and writes benchmarks/results/faults-<database>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

import httpx
import sqlalchemy as sa
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reportguard.config import database_url_from
from reportguard.outbox.webhooks import Dispatcher, enqueue
from reportguard.store.database import create_engine
from reportguard.store.models import IngestRun, Report, WebhookDelivery

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent / "reportguard"
SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
BATCH = 100


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _report(n: int) -> dict[str, Any]:
    return {
        "report_id": f"f-{n}",
        "reporter_id": f"u-{n % 997}",
        "target_id": f"t-{n % 101}",
        "reason": "spam",
        "text": f"fault run report {n}",
        "created_at": f"2026-11-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00Z",
    }


class Server:
    """`reportguard serve` as a process that can be killed and started again."""

    def __init__(self, env: dict[str, str], port: int) -> None:
        self.env = env
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [BIN, "serve", "--port", str(self.port), "--no-live-detection", "--no-access-log",
             "--log-level", "warning"],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if (
                    httpx.get(f"http://127.0.0.1:{self.port}/v1/ready", timeout=2).status_code
                    == 200
                ):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise SystemExit("the server did not become ready")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()


def server_kills(  # noqa: PLR0915 - one experiment, read top to bottom
    env: dict[str, str], db: str, kills: int, every: float
) -> dict[str, Any]:
    created = subprocess.run(
        [BIN, "keys", "create", "faults", "--role", "ingest", "--rate-limit", "100000/second"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if created.returncode != 0:
        raise SystemExit(f"could not create a key:\n{created.stderr.strip()}")
    token = created.stdout.strip().splitlines()[-1]
    server = Server(env, _free_port())
    server.start()
    stop = threading.Event()
    acknowledged: list[str] = []
    stats = Counter[str]()

    def send() -> None:
        url = f"http://127.0.0.1:{server.port}/v1/reports/batch"
        n = 0
        with httpx.Client(timeout=10) as client:
            while not stop.is_set():
                batch = [_report(n + i) for i in range(BATCH)]
                headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"batch-{n}"}
                while True:  # the same batch and key until it is answered
                    try:
                        answer = client.post(url, json={"records": batch}, headers=headers)
                    except httpx.HTTPError:
                        stats["retries"] += 1
                        time.sleep(0.05)
                        continue
                    if answer.status_code == 200:
                        break
                    stats[f"status {answer.status_code}"] += 1
                    time.sleep(0.05)
                stats["replayed"] += answer.headers.get("Idempotent-Replayed") == "true"
                stats["batches"] += 1
                acknowledged.extend(r["report_id"] for r in batch)
                n += BATCH

    sender = threading.Thread(target=send)
    sender.start()
    try:
        for _ in range(kills):
            time.sleep(every * random.uniform(0.5, 1.5))
            server.kill()
            server.start()
        time.sleep(every)
    finally:
        stop.set()
        sender.join(120)
        if server.process is not None and server.process.poll() is None:
            server.process.terminate()
            server.process.wait(30)
    engine = create_engine(db)
    with engine.connect() as conn:
        stored, distinct = conn.execute(
            sa.select(sa.func.count(), sa.func.count(sa.distinct(Report.report_id)))
        ).one()
        runs = conn.execute(sa.select(sa.func.count()).select_from(IngestRun)).scalar_one()
        present = set(conn.execute(sa.select(Report.report_id)).scalars())
    engine.dispose()
    return {
        "kills": kills,
        "batches_acknowledged": stats["batches"],
        "reports_sent": len(acknowledged),
        "reports_stored": int(stored),
        "duplicated": int(stored) - int(distinct),
        "lost": len(set(acknowledged) - present),
        "stored_not_acknowledged": len(present - set(acknowledged)),
        "ingest_runs": int(runs),
        "retries_after_a_kill": stats["retries"],
        "answers_replayed": stats["replayed"],
    }


class _Receiver(BaseHTTPRequestHandler):
    seen: ClassVar[Counter[str]] = Counter()
    lock: ClassVar[threading.Lock] = threading.Lock()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        time.sleep(0.02)  # a receiver that takes its time: kills land while a post is in flight
        with self.lock:
            self.seen[self.headers["webhook-id"]] += 1
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_args: Any) -> None:
        pass


def deliverer_kills(  # noqa: PLR0917 - the benchmark's knobs
    env: dict[str, str], db: str, events: int, deliverers: int, kills: int, every: float
) -> dict[str, Any]:
    engine = create_engine(db)
    now = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        session.execute(sa.delete(WebhookDelivery))  # only this phase's events
        for i in range(events):
            enqueue(session, event_id=f"ev-{i}", event_type="test", data={"i": i}, now=now)
    receiver = ThreadingHTTPServer(("127.0.0.1", _free_port()), _Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{receiver.server_address[1]}/hooks"
    run_env = {**env, "REPORTGUARD_WEBHOOK_URL": url, "REPORTGUARD_WEBHOOK_SECRET": SECRET}
    command = [BIN, "webhooks", "deliver", "--interval", "0.5"]

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            command, env=run_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    processes = [start() for _ in range(deliverers)]

    def pending() -> int:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count()).where(WebhookDelivery.status == "pending")
                ).scalar_one()
            )

    killed = 0
    try:
        while killed < kills and pending():
            time.sleep(every * random.uniform(0.5, 1.5))
            victim = random.randrange(deliverers)
            processes[victim].send_signal(signal.SIGKILL)
            processes[victim].wait()
            processes[victim] = start()
            killed += 1
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                claimed_or_due = conn.execute(
                    sa.select(sa.func.count()).where(
                        WebhookDelivery.status == "pending",
                        WebhookDelivery.next_attempt_at <= datetime.now(UTC),
                    )
                ).scalar_one()
            if not claimed_or_due:
                break
            time.sleep(0.2)
    finally:
        for process in processes:
            process.terminate()
            process.wait(30)
    held = pending()  # claimed by a killed deliverer: waiting for its lease to run out
    sweeper = Dispatcher(engine, url=url, secret=SECRET)
    later = datetime.now(UTC) + sweeper.lease
    sweeper.deliver_due(now=later, limit=events)
    receiver.shutdown()
    delivered = pending()
    engine.dispose()
    counts = Counter(_Receiver.seen.values())
    return {
        "events": events,
        "deliverers": deliverers,
        "kills": killed,
        "held_by_a_killed_deliverer": held,
        "still_pending": delivered,
        "deliveries": sum(_Receiver.seen.values()),
        "events_delivered_once": counts[1],
        "events_delivered_twice": counts[2],
        "events_delivered_more": sum(v for k, v in counts.items() if k > 2),
        "events_never_delivered": events - len(_Receiver.seen),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite", help="sqlite, or a PostgreSQL URL")
    parser.add_argument("--kills", type=int, default=5, help="kill -9s of each kind")
    parser.add_argument("--every", type=float, default=3.0, help="seconds between kills")
    parser.add_argument("--deliverers", type=int, default=3)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    random.seed(args.seed)
    workdir = Path(tempfile.mkdtemp(prefix="rg-faults-"))
    db = database_url_from(str(workdir / "faults.db") if args.db == "sqlite" else args.db)
    # No receipts for the reports sent: the outbox then holds the deliverer phase's events only.
    shipped = resources.files("reportguard.policy").joinpath("default.toml").read_text()
    policy = workdir / "policy.toml"
    policy.write_text(shipped.replace("acknowledge_reports = true", "acknowledge_reports = false"))
    env = {
        **os.environ,
        "REPORTGUARD_DATABASE_URL": db,
        "REPORTGUARD_SECRET_KEY": os.environ.get("REPORTGUARD_SECRET_KEY", "bench-" + "k" * 32),
        "REPORTGUARD_POLICY_FILE": str(policy),
    }
    create_engine(db).dispose()
    ingest = server_kills(env, db, args.kills, args.every)
    print(json.dumps(ingest, indent=1), flush=True)
    outbox = deliverer_kills(env, db, args.events, args.deliverers, args.kills, args.every)
    print(json.dumps(outbox, indent=1), flush=True)
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "database": "sqlite" if args.db == "sqlite" else "postgresql",
        "server_kills": ingest,
        "deliverer_kills": outbox,
    }
    out = HERE / "results" / f"faults-{result['database']}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
