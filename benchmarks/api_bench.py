"""Benchmark: the HTTP API under load, with live (incremental) detection on.

    python benchmarks/api_bench.py [--db sqlite|postgresql://...] [--rate 200] [--seconds 30]

Starts `reportguard serve` in its own process (uvicorn, one worker, live detection on) on a fresh
database, creates an ingest key, then

1. **batch ingest**: sends the `small` preset's ~49k reports (time order) through
   `POST /v1/reports/batch` in batches of 1,000 from 4 concurrent clients; reports/s is stored
   reports over wall time. Then waits until live detection has caught up and reports that time.
2. **single posts at a fixed rate**: an open-loop generator (asyncio + httpx) starts one
   `POST /v1/reports` every 1/rate s whatever the answers do, so a slow answer cannot hide
   later ones (no coordinated omission); latency is measured from each request's scheduled start.

The load generator runs on the same machine as the server and takes CPU from it.
Prints the figures and writes benchmarks/results/api.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reportguard.simulate import preset, simulate

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent / "reportguard"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _wait_ready(url: str, timeout: float = 600) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            response = httpx.get(f"{url}/v1/ready", timeout=5)
            if response.status_code == 200:
                return dict(response.json())
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not become ready")


def batch_ingest(url: str, token: str, reports: list[dict[str, Any]]) -> dict[str, Any]:
    batches = [reports[i : i + 1000] for i in range(0, len(reports), 1000)]
    headers = {"Authorization": f"Bearer {token}"}
    latencies: list[float] = []

    def send(chunk: list[list[dict[str, Any]]]) -> int:
        stored = 0
        with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
            for batch in chunk:
                started = time.perf_counter()
                response = client.post("/v1/reports/batch", json={"records": batch})
                latencies.append(time.perf_counter() - started)
                response.raise_for_status()
                stored += response.json()["accepted"]
        return stored

    clients = 4
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        stored = sum(pool.map(send, [batches[i::clients] for i in range(clients)]))
    wall = time.perf_counter() - started
    # live detection works behind the requests: wait until it has seen every report
    while True:
        status = httpx.get(f"{url}/v1/ready", timeout=10).json()["detection"]
        if not status["enabled"]:
            status["campaigns_flagged"] = None
            break
        if status["reports_seen"] >= stored and status["lag"] == 0:
            break
        time.sleep(0.2)
    caught_up = time.perf_counter() - started
    return {
        "reports": stored,
        "batch_size": 1000,
        "clients": clients,
        "wall_s": round(wall, 2),
        "reports_per_s": round(stored / wall),
        "batch_p50_ms": round(float(np.percentile(latencies, 50)) * 1000, 1),
        "batch_p99_ms": round(float(np.percentile(latencies, 99)) * 1000, 1),
        "detection_caught_up_s": round(caught_up, 2),
        "campaigns_flagged_live": status["campaigns_flagged"],
    }


async def fixed_rate(
    url: str, token: str, template: list[dict[str, Any]], rate: float, seconds: float
) -> dict[str, Any]:
    """Open loop at ``rate`` requests/s over keep-alive connections.

    A deliberately small HTTP/1.1 client on asyncio streams: a general client (httpx) spends
    several milliseconds of CPU per request, which on a 2-core machine shared with the server
    would measure the client. Requests are prepared before the clock starts.
    """
    host, port = url.removeprefix("http://").split(":")
    n = int(rate * seconds)
    bodies = []
    for i in range(n):
        body = json.dumps(dict(template[i % len(template)], report_id=f"bench-single-{i}"))
        head = (
            f"POST /v1/reports HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        bodies.append((head + body).encode())
    jobs: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()
    latencies: list[float] = []
    codes: dict[int, int] = {}

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        while (job := await jobs.get()) is not None:
            i, scheduled = job
            writer.write(bodies[i])
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - scheduled)
            status = int(status_line.split()[1])
            codes[status] = codes.get(status, 0) + 1
        writer.close()

    workers = [asyncio.create_task(connection()) for _ in range(32)]
    start = time.perf_counter() + 0.5
    for i in range(n):
        scheduled = start + i / rate
        await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
        jobs.put_nowait((i, scheduled))
    for _ in workers:
        jobs.put_nowait(None)
    await asyncio.gather(*workers)
    elapsed = time.perf_counter() - start
    ms = np.array(latencies) * 1000
    return {
        "target_rate": rate,
        "requests": n,
        "achieved_rate": round(n / elapsed, 1),
        "status_codes": codes,
        "p50_ms": round(float(np.percentile(ms, 50)), 1),
        "p95_ms": round(float(np.percentile(ms, 95)), 1),
        "p99_ms": round(float(np.percentile(ms, 99)), 1),
        "max_ms": round(float(ms.max()), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite", help="sqlite, or a PostgreSQL URL")
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--no-live", action="store_true", help="serve without live detection")
    parser.add_argument(
        "--no-receipts", action="store_true", help="policy with acknowledge_reports = false"
    )
    args = parser.parse_args()
    data = HERE / "data" / "small"
    if not (data / "reports.jsonl").exists():
        simulate(preset("small"), data)
    reports = sorted(_records(data / "reports.jsonl"), key=lambda r: r["created_at"])
    accounts = _records(data / "accounts.jsonl")
    workdir = Path(tempfile.mkdtemp(prefix="rg-api-bench-"))
    db = str(workdir / "api.db") if args.db == "sqlite" else args.db
    env = {
        **os.environ,
        "REPORTGUARD_DATABASE_URL": db,
        "REPORTGUARD_SECRET_KEY": os.environ.get("REPORTGUARD_SECRET_KEY", "bench-" + "k" * 32),
    }
    if args.no_receipts:
        shipped = resources.files("reportguard.policy").joinpath("default.toml").read_text()
        policy = workdir / "policy.toml"
        policy.write_text(
            shipped.replace("acknowledge_reports = true", "acknowledge_reports = false")
        )
        env["REPORTGUARD_POLICY_FILE"] = str(policy)
    created = subprocess.run(
        [BIN, "keys", "create", "bench", "--role", "ingest", "--rate-limit", "100000/second"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if created.returncode != 0:  # e.g. a PostgreSQL database that does not exist yet
        raise SystemExit(f"could not create a key on {args.db}:\n{created.stderr.strip()}")
    token = created.stdout.strip().splitlines()[-1]
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [BIN, "serve", "--port", str(port), "--log-level", "warning"]
        + (["--no-live-detection"] if args.no_live else []),
        env=env,
    )
    try:
        _wait_ready(url)
        headers = {"Authorization": f"Bearer {token}"}
        for i in range(0, len(accounts), 5000):
            httpx.post(
                f"{url}/v1/accounts/batch",
                json={"records": accounts[i : i + 5000]},
                headers=headers,
                timeout=120,
            ).raise_for_status()
        batch = batch_ingest(url, token, reports)
        print(json.dumps(batch, indent=1), flush=True)
        single = asyncio.run(fixed_rate(url, token, reports, args.rate, args.seconds))
    finally:
        server.terminate()
        server.wait(30)
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "database": "sqlite" if args.db == "sqlite" else "postgresql",
        "live_detection": not args.no_live,
        "receipts": not args.no_receipts,
        "batch_ingest": batch,
        "single_posts": single,
    }
    print(json.dumps(result, indent=1))
    suffix = "-no-receipts" if args.no_receipts else ""
    out = HERE / "results" / f"api-{result['database']}{suffix}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
