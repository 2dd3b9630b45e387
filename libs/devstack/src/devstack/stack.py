"""Starts the broker (embedded Tansu unless KAFKA_BOOTSTRAP_SERVERS is set), creates the
topics, then the four services and the gateway as separate processes; waits until each
answers /readyz; stops them all."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
from cryptography.fernet import Fernet
from messaging.broker import EmbeddedBroker, ensure_topics, free_port
from messaging.child_processes import die_with_parent
from service_auth.tokens import generate_keypair


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    app: str  # uvicorn factory path
    default_port: int

    @property
    def env_prefix(self) -> str:
        return self.name.upper()


SERVICES = (
    ServiceSpec("profiles", "profiles.entrypoints.api:create_app", 8001),
    ServiceSpec("matching", "matching.entrypoints.api:create_app", 8002),
    ServiceSpec("sessions", "sessions.entrypoints.api:create_app", 8003),
    ServiceSpec("feedback", "feedback.entrypoints.api:create_app", 8004),
)
GATEWAY = ServiceSpec("gateway", "gateway.entrypoints.api:create_app", 8000)
ALL = (*SERVICES, GATEWAY)
BY_NAME = {spec.name: spec for spec in ALL}


@dataclass
class Stack:
    var_dir: Path
    fixed_ports: bool = False  # make run: the documented ports; tests: free ones
    database_urls: dict[str, str] = field(default_factory=dict)  # else SQLite under var_dir
    log_dir: Path | None = None  # each process's output to <name>.log; else to our stdout
    trace_exporter: str = "lines"  # OTEL_TRACES_EXPORTER: compact lines; tests: console
    extra_env: dict[str, str] = field(default_factory=dict)
    broker: EmbeddedBroker | None = field(init=False, default=None)
    bootstrap_servers: str = field(init=False, default="")
    ports: dict[str, int] = field(init=False, default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(init=False, default_factory=dict)
    _logs: list[IO[bytes]] = field(init=False, default_factory=list)
    private_key: str = field(init=False, default="")
    public_key: str = field(init=False, default="")
    # Seals secrets at rest where a process is given a database (then it must have a key);
    # one for the stack's life, so a restarted process opens what it sealed.
    sealing_key: str = field(init=False, default_factory=lambda: Fernet.generate_key().decode())

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def start(self, timeout_s: float = 60.0) -> None:
        self.var_dir.mkdir(parents=True, exist_ok=True)
        if self.log_dir is not None:
            self.log_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not self.bootstrap_servers:
            self.start_broker()
        self.private_key, self.public_key = generate_keypair()
        for spec in ALL:
            self.ports[spec.name] = spec.default_port if self.fixed_ports else free_port()
        for spec in ALL:
            self.start_process(spec)
        self.wait_ready(timeout_s)

    def start_broker(self) -> None:
        external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
        if external:
            self.bootstrap_servers = external
        else:
            port = self.broker.port if self.broker else (9092 if self.fixed_ports else None)
            log_file = self.log_dir / "broker.log" if self.log_dir else None
            if log_file is not None:
                _private_log(log_file).close()  # the broker appends to it as it finds it
            self.broker = EmbeddedBroker(port=port, log_file=log_file)
            self.broker.start()
            self.bootstrap_servers = self.broker.bootstrap_servers
        asyncio.run(ensure_topics(self.bootstrap_servers))

    def stop_broker(self) -> None:
        if self.broker is not None:
            self.broker.stop()

    def kill_broker(self) -> None:
        """SIGKILL the embedded broker; `start_broker()` brings a new, empty one up on its port."""
        if self.broker is None:
            raise RuntimeError("only the embedded broker can be killed")
        self.broker.kill()

    def pause_broker(self) -> None:
        if self.broker is None:
            raise RuntimeError("only the embedded broker can be paused")
        self.broker.pause()

    def resume_broker(self) -> None:
        if self.broker is not None:
            self.broker.resume()

    def env_for(self, spec: ServiceSpec) -> dict[str, str]:
        prefix = spec.env_prefix
        env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap_servers,
            "OTEL_SERVICE_NAME": spec.name,
            "OTEL_TRACES_EXPORTER": os.environ.get("OTEL_TRACES_EXPORTER", self.trace_exporter),
            "PYTHONUNBUFFERED": "1",
            f"{prefix}_VAR_DIR": str(self.var_dir),
            **self.extra_env,
        }
        if spec.name in self.database_urls:
            env[f"{prefix}_DATABASE_URL"] = self.database_urls[spec.name]
            env[f"{prefix}_SEALING_KEYS"] = self.sealing_key
        if spec is GATEWAY:
            env["GATEWAY_SERVICE_TOKEN_PRIVATE_KEY"] = self.private_key
            env["GATEWAY_PUBLIC_BASE_URL"] = self.url(GATEWAY.name)
            for other in SERVICES:
                env[f"GATEWAY_{other.env_prefix}_URL"] = self.url(other.name)
        else:
            env[f"{prefix}_SERVICE_TOKEN_PUBLIC_KEY"] = self.public_key
        return env

    def start_process(self, spec: ServiceSpec) -> None:
        output: IO[bytes] | int | None = None
        if self.log_dir is not None:
            self.log_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            log = _private_log(self.log_dir / f"{spec.name}.log")
            self._logs.append(log)
            output = log
        self.processes[spec.name] = subprocess.Popen(  # noqa: S603  (argv from constants)
            [
                sys.executable,
                "-m",
                "uvicorn",
                spec.app,
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.ports[spec.name]),
                "--no-access-log",
                "--timeout-graceful-shutdown",
                "10",
            ],
            env=self.env_for(spec),
            stdout=output if output is not None else subprocess.PIPE,
            stderr=subprocess.STDOUT,
            # Own process group: Ctrl-C reaches the supervisor, which stops them in order.
            start_new_session=True,
            preexec_fn=die_with_parent,
        )

    def wait_ready(self, timeout_s: float, names: list[str] | None = None) -> None:
        deadline = time.monotonic() + timeout_s
        pending = set(names or self.processes)
        with httpx.Client(timeout=2) as client:
            while pending:
                for name in list(pending):
                    process = self.processes[name]
                    if process.poll() is not None:
                        raise RuntimeError(
                            f"{name} exited with {process.returncode} on start"
                            f"{self._log_hint(name)}"
                        )
                    try:
                        if client.get(f"{self.url(name)}/readyz").status_code == 200:
                            pending.discard(name)
                    except httpx.HTTPError:
                        pass
                if pending and time.monotonic() > deadline:
                    raise TimeoutError(
                        f"not ready after {timeout_s}s: {sorted(pending)}"
                        f"{self._log_hint(sorted(pending)[0])}"
                    )
                time.sleep(0.2)

    def _log_hint(self, name: str) -> str:
        if self.log_dir is None:
            return ""
        path = self.log_dir / f"{name}.log"
        tail = path.read_text(errors="replace")[-3000:] if path.exists() else ""
        return f"\n--- {path} (tail) ---\n{tail}"

    def stop_process(self, name: str) -> None:
        process = self.processes.get(name)
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def kill(self, name: str) -> None:
        """SIGKILL: no shutdown, no last commit; what a crash or an OOM kill leaves behind."""
        process = self.processes.get(name)
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()

    def pause(self, name: str) -> None:
        """SIGSTOP: the process keeps its connections but does nothing until `resume`."""
        process = self.processes.get(name)
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGSTOP)

    def resume(self, name: str) -> None:
        process = self.processes.get(name)
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGCONT)

    def restart(self, name: str, timeout_s: float = 60.0) -> None:
        """Starts a stopped or killed process again (same port, same database) until ready."""
        if (process := self.processes.get(name)) is not None and process.poll() is None:
            raise RuntimeError(f"{name} is still running")
        self.start_process(BY_NAME[name])
        self.wait_ready(timeout_s, [name])

    def stop(self) -> None:
        self.resume_broker()  # a paused process would not stop
        for name in self.processes:
            self.resume(name)
        for name in reversed(list(self.processes)):
            self.stop_process(name)
        self.stop_broker()
        for log in self._logs:
            log.close()

    def first_exited(self) -> tuple[str, int] | None:
        for name, process in self.processes.items():
            code = process.poll()
            if code is not None:
                return name, code
        return None

    def pump_output(self, write: Callable[[str], None]) -> None:
        """For `make run`: each process's lines, prefixed with its name."""
        import threading

        def pump(name: str, stream: IO[bytes]) -> None:
            for raw in iter(stream.readline, b""):
                write(f"{name:>9} | {raw.decode(errors='replace').rstrip()}")

        for name, process in self.processes.items():
            if process.stdout is not None:
                threading.Thread(target=pump, args=(name, process.stdout), daemon=True).start()


def _private_log(path: Path) -> IO[bytes]:
    """A log to append to, readable by its owner only: logs name people and tenants."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab")
