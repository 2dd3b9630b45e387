"""A real Radicale (the version pinned for tests), started once for these tests as
`python -m radicale` on a free loopback port with temporary storage and no authentication;
each test gets a calendar collection of its own (MKCOL, then MKCALENDAR: Radicale creates
none by itself)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    storage: Path = tmp_path_factory.mktemp("radicale")
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "radicale",
            "--config",
            "",
            "--server-hosts",
            f"127.0.0.1:{port}",
            "--auth-type",
            "none",
            "--storage-filesystem-folder",
            str(storage),
            "--logging-level",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(url, timeout=1)
            break
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                _, err = process.communicate()
                raise RuntimeError(f"Radicale did not start: {err.decode()[-2000:]}") from None
            time.sleep(0.1)
    yield url
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def collection(radicale: str) -> str:
    """A new, empty calendar: its URL."""
    owner = f"{radicale}/mentor-{uuid.uuid4().hex[:8]}/"
    calendar = f"{owner}sessions/"
    assert httpx.request("MKCOL", owner).status_code == 201
    assert httpx.request("MKCALENDAR", calendar).status_code == 201
    return calendar
