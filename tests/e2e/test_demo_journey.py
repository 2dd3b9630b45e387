"""`make demo` walks the whole journey against the running system, and keeps working as the
API grows (it is the first thing a newcomer runs)."""

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from devstack.pytest_plugin import RunningSystem
from devstack.stack import GATEWAY

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_the_demo_walks_the_journey(system: RunningSystem, tmp_path: Path) -> None:
    env = {
        **os.environ,
        **system.stack.env_for(GATEWAY),
        "CAIRN_GATEWAY_URL": system.url("gateway"),
        "CAIRN_DEMO_DIR": str(tmp_path),
    }
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "devstack.demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    out = done.stdout
    assert "all 32 people visible in GraphQL" in out
    assert "mentees matched" in out and "matches proposed" in out
    assert out.count(": ACCEPTED") == 2
    assert out.count(" sessions booked") == 2  # each accepted pair's series
    assert "'s next sessions (" in out and " with " in out
    assert f"{system.url('gateway')}/calendar/" in out and ".ics" in out
    assert "# issueCalendarFeed" in out
    assert "# runMatching" in out and "mutation(" in out  # the GraphQL it used
    # It ends with the program's insights and one chart, saved where it says.
    assert "enrolled: 12 mentees, 7 mentors" in out
    [saved] = [line.split(": ", 1)[1] for line in out.splitlines() if "adoption chart:" in line]
    assert Path(saved).is_relative_to(tmp_path)
    assert b"<svg" in await asyncio.to_thread(Path(saved).read_bytes)
