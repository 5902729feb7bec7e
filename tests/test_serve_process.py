"""``reportguard serve`` as an operator runs it: a real process, killed the hard way."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from reportguard.cli.serve import check_port
from reportguard.errors import ConfigError


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_port_in_time_wait_is_not_refused_but_a_listening_one_is() -> None:
    port = _free_port()
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", port))
        server.listen()
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _ = server.accept()
        with pytest.raises(ConfigError, match=f"cannot listen on 127.0.0.1:{port}"):
            check_port("127.0.0.1", port)
        accepted.close()  # the server side closes first: its end of the connection is in TIME_WAIT
        time.sleep(0.1)
        client.close()
    check_port("127.0.0.1", port)  # what a restart after kill -9 meets


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc for the worker's pid")
def test_the_live_detection_worker_dies_with_a_killed_server(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "REPORTGUARD_SECRET_KEY": "k" * 32}
    server = subprocess.Popen(
        [sys.executable, "-m", "reportguard.cli", "--db", str(tmp_path / "rg.db"), "serve",
         "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/v1/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        else:
            pytest.fail("the server did not become ready")
        workers = [pid for pid in _children(server.pid) if _alive(pid)]
        assert workers, "no live-detection worker was started"
        server.send_signal(signal.SIGKILL)
        server.wait(10)
        deadline = time.monotonic() + 15
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_alive(pid) for pid in workers), "the worker outlived its server"
    finally:
        if server.poll() is None:
            server.kill()
