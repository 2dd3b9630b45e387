"""Writes each event's JSON Schema to contracts/schemas/, refusing backward-incompatible changes.

`python -m contracts.export` regenerates; `--check` only reports drift (used by the tests).
"""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from contracts.catalog import EVENT_TYPES
from contracts.compatibility import breaking_changes

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"


def schema_of(event_type: str) -> dict[str, Any]:
    model = EVENT_TYPES[event_type]
    schema = model.model_json_schema(by_alias=True)
    schema["$id"] = f"urn:cairn:event:{event_type}"
    schema["x-topic"] = model.topic
    return schema


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def schema_path(event_type: str) -> Path:
    return SCHEMA_DIR / f"{event_type}.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail on drift, write nothing")
    args = parser.parse_args(argv)
    failures: list[str] = []
    for event_type in sorted(EVENT_TYPES):
        path = schema_path(event_type)
        new = schema_of(event_type)
        if path.exists():
            old = json.loads(path.read_text())
            failures += [f"{event_type}: {p}" for p in breaking_changes(old, new)]
            drift = path.read_text() != render(new)
        else:
            drift = True
        if drift and args.check:
            failures.append(f"{event_type}: {path.name} differs from the model; run make contracts")
    if failures:
        print("\n".join(failures), file=sys.stderr)
        print("A breaking change needs a new .v2 event type.", file=sys.stderr)
        return 1
    if not args.check:
        SCHEMA_DIR.mkdir(exist_ok=True)
        for event_type in EVENT_TYPES:
            schema_path(event_type).write_text(render(schema_of(event_type)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
