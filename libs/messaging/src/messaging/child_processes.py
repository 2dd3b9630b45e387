"""Child processes (the embedded broker, a local stack's services) that end with the process
that started them. Without this, a test run killed by a timeout leaves its broker and five
uvicorns running forever, and the next runs share the CPU with them."""

import ctypes
import signal
import sys

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """A `preexec_fn`: the kernel sends the child SIGTERM when its parent dies (Linux; a
    no-op elsewhere). Safe in a forked child: one system call, no locks taken.

    To the kernel the parent is the *thread* that started the child: start children from one
    that lives as long as they should — the main thread, or an event loop's executor worker
    (`asyncio.to_thread`), which lives until its loop closes."""
    if sys.platform != "linux":
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
