"""The operator's commands for trusted documents (see `gateway.entrypoints.cli`), for a
partner frontend's build step that registers its operations:

`cairn trusted-document register --tenant-id T --file ops.graphql [--name N]` prints the
document and its id (`sha256:…`); `list --tenant-id T`; `remove --tenant-id T --id ID`."""

import argparse
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from messaging.outbox import UnitOfWork
from runtime.refusals import Refused

from gateway.trusted_documents import documents

InDatabase = Callable[[Callable[[UnitOfWork], Awaitable[Any]]], Any]
AREAS = ("trusted-document",)


def add_commands(commands: Any) -> None:
    area = commands.add_parser(
        "trusted-document", help="operations end-user tokens may run"
    ).add_subparsers(dest="action", required=True)
    register = area.add_parser("register", help="trust the document in a file; prints its id")
    register.add_argument("--tenant-id", required=True)
    register.add_argument("--file", required=True, type=Path, help="one GraphQL document")
    register.add_argument("--name")
    area.add_parser("list", help="the tenant's trusted documents").add_argument(
        "--tenant-id", required=True
    )
    remove = area.add_parser("remove", help="end-user tokens may no longer run it")
    remove.add_argument("--tenant-id", required=True)
    remove.add_argument("--id", required=True, help="sha256:<hex>")


def run(args: argparse.Namespace, in_db: InDatabase) -> int:
    try:
        answer = in_db(_use_case(args))
    except Refused as refused:
        for error in refused.errors:
            option = "--file" if error.field == "document" else f"--{error.field or 'tenant-id'}"
            print(f"cairn: {option}: {error.message}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"cairn: --file: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(answer))
    return 0


def _use_case(args: argparse.Namespace) -> Callable[[UnitOfWork], Awaitable[Any]]:
    tenant = args.tenant_id
    if args.action == "register":
        from gateway.graphql.schema import schema  # the schema only where it is checked

        body = args.file.read_text()
        documents.check_runs(schema._schema, body)

        async def registered(uow: UnitOfWork) -> Any:
            return (await documents.register(uow, tenant, body, args.name)).as_json()

        return registered
    if args.action == "remove":

        async def removed(uow: UnitOfWork) -> Any:
            return (await documents.remove(uow, tenant, args.id)).as_json()

        return removed

    async def listed(uow: UnitOfWork) -> Any:
        return [d.as_json() for d in await documents.listed(uow, tenant)]

    return listed
