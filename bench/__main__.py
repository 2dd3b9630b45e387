"""`python -m bench` runs every registered benchmark; `python -m bench NAME [options]` runs
one and passes the options on (`python -m bench matching --help`)."""

from __future__ import annotations

import importlib
import sys

# name -> module with `main(argv: list[str]) -> int`
BENCHMARKS = {
    "gateway_cost": "bench.gateway_cost",
    "insights": "bench.insights.run",
    "insights_ingest": "bench.insights.ingest",
    "matching": "bench.matching.run",
    "profiles_import": "bench.profiles_import",
    "profiles_org_chain": "bench.profiles_org_chain",
    "sessions": "bench.sessions.run",
    "webhook_latency": "bench.webhook_latency",
}


def main(argv: list[str]) -> int:
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__)
        print("benchmarks:", ", ".join(BENCHMARKS))
        return 0
    if argv and not argv[0].startswith("-"):
        name, rest = argv[0], argv[1:]
        if name not in BENCHMARKS:
            print(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}", file=sys.stderr)
            return 2
        selected = [(name, rest)]
    else:
        selected = [(name, argv) for name in BENCHMARKS]
    status = 0
    for name, args in selected:
        print(f"== bench {name}", flush=True)
        status |= importlib.import_module(BENCHMARKS[name]).main(args)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
