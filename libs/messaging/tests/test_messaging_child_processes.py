"""A test run killed by a timeout must not leave its broker and services running."""

import os
import signal
import subprocess
import sys
import time

import pytest

# The parent starts a long sleep with die_with_parent through asyncio.to_thread (as the test
# fixtures start a stack), prints its pid, then waits to be killed.
PARENT = """
import asyncio, subprocess
from messaging.child_processes import die_with_parent

async def main():
    child = await asyncio.to_thread(
        subprocess.Popen, ["sleep", "600"], preexec_fn=die_with_parent
    )
    print(child.pid, flush=True)
    await asyncio.sleep(600)

asyncio.run(main())
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux's")
def test_a_child_ends_when_the_process_that_started_it_is_killed() -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child_pid = int(parent.stdout.readline())
    time.sleep(0.5)  # the executor's thread outlives the call: the child must too
    assert _alive(child_pid)
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while _alive(child_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child_pid)
