"""The cost bomb of issue 9 (finding 2) against the running system, and what it does to another
tenant, in one run on one embedded broker and the real services (SQLite, as `make run`):

- bomb refused: POST /graphql of the bomb (30 aliases x a page of 100 people with history,
  managers, matches and a page of 100 reports each; cost 393,000) → QUERY_TOO_COMPLEX, round
  trip through the gateway (authentication, parse, cost, answer), one every 150 ms (a refused
  query keeps its tenant's turn for a second: faster, the tenant's own bombs would queue);
- bomb refused, in process: the same refusal by the gateway's schema alone (parse and cost);
- small query alone: another tenant's `{ people(first: 1) { totalCount } }`, nothing else
  running (the baseline);
- small query under bombs: the same, while `--bombers` clients of another tenant send the bomb
  back to back (refused, then RATE_LIMITED once that tenant's turns are all kept).

`python -m bench.gateway_cost [samples] [--bombers N]`; prints a table and writes
var/bench/gateway_cost.json.
"""

import argparse
import asyncio
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from devstack.stack import GATEWAY, Stack
from gateway.graphql.schema import schema
from standardwebhooks import Webhook

OUT = Path("var/bench/gateway_cost.json")
BOMB_PERSON = "history{field} managers{id} matches{id} reports(first:100){totalCount}"
BOMB = (
    "{"
    + " ".join(f"a{i}: people(first:100){{edges{{node{{{BOMB_PERSON}}}}}}}" for i in range(30))
    + "}"
)
SMALL = "{ people(first: 1) { totalCount } }"


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50_ms": round(1000 * statistics.median(ordered), 2),
        "p95_ms": round(1000 * ordered[int(0.95 * (len(ordered) - 1))], 2),
        "max_ms": round(1000 * ordered[-1], 2),
    }


def _create_tenant(stack: Stack, name: str) -> dict[str, str]:
    env = {**os.environ, **stack.env_for(GATEWAY)}
    out = subprocess.run(
        [sys.executable, "-m", "gateway.entrypoints.cli", "tenant", "create", "--name", name],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    tenant: dict[str, str] = json.loads(out.stdout)
    return tenant


async def _hire(http: httpx.AsyncClient, gateway: str, tenant: dict[str, str], n: int) -> None:
    changes = [
        {
            "id": f"bench-{uuid.uuid4().hex}",
            "type": "employee.hired",
            "effectiveAt": datetime.now(UTC).isoformat(),
            "sourceVersion": 1,
            "employee": {
                "externalId": f"C{i}",
                "email": f"c{i}@cost-co.com",
                "displayName": f"Person C{i}",
                "managerExternalId": "C0" if i else None,
            },
        }
        for i in range(n)
    ]
    body = json.dumps({"changes": changes})
    message_id, now = f"msg_{uuid.uuid4().hex}", datetime.now(UTC)
    response = await http.post(
        f"{gateway}/webhooks/hris/{tenant['hrisConnectionId']}",
        content=body,
        headers={
            "content-type": "application/json",
            "webhook-id": message_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(tenant["hrisSecret"]).sign(message_id, now, body),
        },
    )
    assert response.status_code == 202, response.text
    for _ in range(1200):  # a minute
        if (await _query(http, gateway, tenant, SMALL))["data"]["people"]["totalCount"] == n:
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"the {n} people hired did not all arrive within a minute")


async def _query(
    http: httpx.AsyncClient, gateway: str, tenant: dict[str, str], query: str
) -> dict[str, Any]:
    response = await http.post(
        f"{gateway}/graphql",
        json={"query": query},
        headers={"Authorization": f"Bearer {tenant['apiKey']}"},
    )
    body: dict[str, Any] = response.json()
    return body


async def _timed(
    http: httpx.AsyncClient, gateway: str, tenant: dict[str, str], query: str, code: str | None
) -> float:
    started = time.perf_counter()
    body = await _query(http, gateway, tenant, query)
    took = time.perf_counter() - started
    if code is None:
        assert "errors" not in body, body
    else:
        assert body["errors"][0]["extensions"]["code"] == code, body
    return took


async def _in_process(samples: int) -> list[float]:
    logging.getLogger("strawberry.execution").setLevel(logging.CRITICAL)  # each refusal logs
    timings = []
    for _ in range(samples):
        started = time.perf_counter()
        result = await schema.execute(BOMB)
        timings.append(time.perf_counter() - started)
        assert result.errors and result.errors[0].extensions["code"] == "QUERY_TOO_COMPLEX"
    return timings


async def _measure(stack: Stack, samples: int, bombers: int) -> dict[str, Any]:
    gateway = stack.url("gateway")
    bomber, other = _create_tenant(stack, "Bomb Co"), _create_tenant(stack, "Bystander Co")
    async with httpx.AsyncClient(timeout=60) as http:
        await _hire(http, gateway, bomber, 5)
        await _hire(http, gateway, other, 5)
        for _ in range(10):  # warm both paths
            await _timed(http, gateway, other, SMALL, None)
            await _timed(http, gateway, bomber, BOMB, "QUERY_TOO_COMPLEX")

        await asyncio.sleep(1.1)  # the warm-up's kept turns are given back
        refused = []
        for _ in range(samples):
            refused.append(await _timed(http, gateway, bomber, BOMB, "QUERY_TOO_COMPLEX"))
            await asyncio.sleep(0.15)
        alone = [await _timed(http, gateway, other, SMALL, None) for _ in range(samples)]

        stop = asyncio.Event()
        answered: Counter[str] = Counter()

        async def bomb_away() -> None:
            async with httpx.AsyncClient(timeout=60) as own:
                while not stop.is_set():
                    body = await _query(own, gateway, bomber, BOMB)
                    code = body["errors"][0]["extensions"]["code"]
                    assert code in ("QUERY_TOO_COMPLEX", "RATE_LIMITED"), body
                    answered[code] += 1

        running = [asyncio.create_task(bomb_away()) for _ in range(bombers)]
        started = time.perf_counter()
        try:
            await asyncio.sleep(0.5)
            busy = [await _timed(http, gateway, other, SMALL, None) for _ in range(samples)]
        finally:
            stop.set()
            await asyncio.gather(*running)
        elapsed = time.perf_counter() - started
    return {
        "samples": samples,
        "bombers": bombers,
        "bomb_length_chars": len(BOMB),
        "bombs_answered_per_s_while_busy": {
            code: round(count / elapsed, 1) for code, count in answered.items()
        },
        "bomb_refused_round_trip": _percentiles(refused),
        "bomb_refused_in_process": _percentiles(await _in_process(samples)),
        "small_query_alone": _percentiles(alone),
        "small_query_under_bombs": _percentiles(busy),
    }


def run(samples: int = 100, bombers: int = 4) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        stack = Stack(
            var_dir=Path(scratch) / "var", log_dir=Path(scratch) / "logs", trace_exporter="none"
        )
        stack.start(timeout_s=90)
        try:
            results = asyncio.run(_measure(stack, samples, bombers))
        finally:
            stack.stop()
    print(
        f"bomb: {results['bomb_length_chars']} characters; answers a second to {bombers} "
        f"bombers while busy: {results['bombs_answered_per_s_while_busy']}"
    )
    print(f"{'measure':<28}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for name in (
        "bomb_refused_round_trip",
        "bomb_refused_in_process",
        "small_query_alone",
        "small_query_under_bombs",
    ):
        r = results[name]
        print(f"{name:<28}{r['p50_ms']:>10}{r['p95_ms']:>10}{r['max_ms']:>10}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2))
    return results


def main(argv: list[str]) -> int:
    """`python -m bench gateway_cost [samples] [--bombers N]` (defaults 100, 4)."""
    parser = argparse.ArgumentParser(prog="bench gateway_cost")
    parser.add_argument("samples", nargs="?", type=int, default=100)
    parser.add_argument("--bombers", type=int, default=4)
    args = parser.parse_args(argv)
    run(args.samples, args.bombers)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
