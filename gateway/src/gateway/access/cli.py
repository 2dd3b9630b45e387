"""The operator's commands for access (see `gateway.entrypoints.cli`):

`cairn api-key create --tenant-id T --name N --scopes READ,WRITE` prints the key once;
`cairn api-key list --tenant-id T`, `rotate --tenant-id T --id K [--grace-seconds S]` (prints
the successor once; the old key works S more seconds), `revoke --tenant-id T --id K`;
`cairn token-issuer register --tenant-id T --issuer I --audience A (--jwks-url U |
--public-key-file F) --person-match EMAIL|EXTERNAL_ID [--person-claim C] [--algorithms RS256]`,
`cairn token-issuer list --tenant-id T`, `remove --tenant-id T --id I`."""

import argparse
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from messaging.outbox import UnitOfWork
from runtime.refusals import Refused

from gateway.access import issuers, keys
from gateway.access.issuers import IssuerRegistration, PersonMatch
from gateway.access.principal import Scope

InDatabase = Callable[[Callable[[UnitOfWork], Awaitable[Any]]], Any]
AREAS = ("api-key", "token-issuer")


def add_commands(commands: Any) -> None:
    api_keys = commands.add_parser("api-key", help="integrator keys").add_subparsers(
        dest="action", required=True
    )
    create = api_keys.add_parser("create", help="a new key; prints its secret once")
    create.add_argument("--tenant-id", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--scopes", required=True, help="comma-separated: READ, WRITE, ADMIN")
    api_keys.add_parser("list", help="the tenant's keys, never their secrets").add_argument(
        "--tenant-id", required=True
    )
    rotate = api_keys.add_parser("rotate", help="a successor; the old key works a while more")
    rotate.add_argument("--tenant-id", required=True)
    rotate.add_argument("--id", required=True)
    rotate.add_argument(
        "--grace-seconds", type=int, default=int(keys.DEFAULT_GRACE.total_seconds())
    )
    revoke = api_keys.add_parser("revoke", help="the key stops working at once")
    revoke.add_argument("--tenant-id", required=True)
    revoke.add_argument("--id", required=True)

    token_issuers = commands.add_parser(
        "token-issuer", help="who may sign end-user tokens"
    ).add_subparsers(dest="action", required=True)
    register = token_issuers.add_parser("register", help="let an identity provider sign tokens")
    register.add_argument("--tenant-id", required=True)
    register.add_argument("--issuer", required=True)
    register.add_argument("--audience", required=True)
    register.add_argument("--jwks-url")
    register.add_argument("--public-key-file", type=Path)
    register.add_argument("--person-match", required=True, choices=[m.value for m in PersonMatch])
    register.add_argument("--person-claim")
    register.add_argument("--algorithms", default="RS256", help="comma-separated, e.g. RS256")
    token_issuers.add_parser("list", help="the tenant's token issuers").add_argument(
        "--tenant-id", required=True
    )
    remove = token_issuers.add_parser("remove", help="its tokens stop working at once")
    remove.add_argument("--tenant-id", required=True)
    remove.add_argument("--id", required=True)


def run(args: argparse.Namespace, in_db: InDatabase) -> int:
    try:
        answer = in_db(_use_case(args))
    except Refused as refused:
        for error in refused.errors:
            option = "--" + _option(error.field) if error.field else "cairn"
            print(f"cairn: {option}: {error.message}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"cairn: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(answer))
    return 0


def _option(field: str) -> str:
    return "".join("-" + c.lower() if c.isupper() else c for c in field)


def _use_case(args: argparse.Namespace) -> Callable[[UnitOfWork], Awaitable[Any]]:
    tenant = args.tenant_id
    if args.area == "api-key":
        if args.action == "create":
            scopes = {Scope(s.strip().upper()) for s in args.scopes.split(",") if s.strip()}

            async def created(uow: UnitOfWork) -> Any:
                issued = await keys.create_key(uow, tenant, args.name, scopes)
                return {"apiKey": issued.key.as_json(), "secret": issued.plaintext}

            return created
        if args.action == "rotate":

            async def rotated(uow: UnitOfWork) -> Any:
                grace = timedelta(seconds=args.grace_seconds)
                issued = await keys.rotate_key(uow, tenant, args.id, grace)
                return {"apiKey": issued.key.as_json(), "secret": issued.plaintext}

            return rotated
        if args.action == "revoke":

            async def revoked(uow: UnitOfWork) -> Any:
                return (await keys.revoke_key(uow, tenant, args.id)).as_json()

            return revoked

        async def listed(uow: UnitOfWork) -> Any:
            return [k.as_json() for k in await keys.list_keys(uow, tenant)]

        return listed
    if args.action == "register":
        pem = args.public_key_file.read_text() if args.public_key_file else None
        registration = IssuerRegistration(
            issuer=args.issuer,
            audience=args.audience,
            person_match=PersonMatch(args.person_match),
            jwks_url=args.jwks_url,
            public_key_pem=pem,
            algorithms=tuple(a.strip() for a in args.algorithms.split(",") if a.strip()),
            person_claim=args.person_claim,
        )

        async def registered(uow: UnitOfWork) -> Any:
            return (await issuers.register_issuer(uow, tenant, registration)).as_json()

        return registered
    if args.action == "remove":

        async def removed(uow: UnitOfWork) -> Any:
            return (await issuers.remove_issuer(uow, tenant, args.id)).as_json()

        return removed

    async def issuers_listed(uow: UnitOfWork) -> Any:
        return [i.as_json() for i in await issuers.list_issuers(uow, tenant)]

    return issuers_listed
