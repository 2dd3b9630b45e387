"""`python -m devstack run`: the whole system in the foreground, until Ctrl-C."""

import argparse
import os
import signal
import sys
import threading
import time
from pathlib import Path

from devstack.stack import ALL, Stack


def run() -> int:
    stack = Stack(var_dir=Path(os.environ.get("CAIRN_VAR_DIR", "var")).resolve(), fixed_ports=True)
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    print("Starting the broker, four services and the gateway…", flush=True)
    try:
        stack.start_broker()
        print(f"broker     kafka://{stack.bootstrap_servers}", flush=True)
        stack.start(timeout_s=90)
    except Exception as exc:
        print(f"cairn: could not start: {exc}", file=sys.stderr)
        stack.stop()
        return 1
    lock = threading.Lock()

    def write(line: str) -> None:
        with lock:  # whole lines only, never interleaved
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    stack.pump_output(write)
    print("\nCairn is up:")
    for spec in ALL:
        print(
            f"  {spec.name:<9} {stack.url(spec.name)}"
            + ("/graphql   (public API)" if spec.name == "gateway" else "/docs")
        )
    print(f"  databases {stack.var_dir}/<service>.db")
    print("Create a tenant: .venv/bin/cairn tenant create --name 'Acme'   ·   or: make demo")
    print("Ctrl-C stops everything.\n", flush=True)
    code = 0
    while not stopping:
        exited = stack.first_exited()
        if exited is not None:
            # Nothing is restarted silently: one process down stops the whole system.
            print(
                f"cairn: {exited[0]} exited with {exited[1]}; stopping everything",
                file=sys.stderr,
                flush=True,
            )
            code = 1
            break
        time.sleep(0.3)
    print("Stopping…", flush=True)
    stack.stop()
    return code


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack")
    parser.add_argument("command", choices=["run"])
    parser.parse_args()
    return run()


if __name__ == "__main__":
    sys.exit(main())
