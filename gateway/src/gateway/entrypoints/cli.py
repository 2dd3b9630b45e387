"""`cairn tenant create --name NAME`: a tenant, its first API key and HRIS connection, as JSON.
`cairn api-key …` and `cairn token-issuer …`: integrator keys and end-user token issuers
(see `gateway.access.cli`). `cairn trusted-document …`: the operations end-user tokens may
run (see `gateway.trusted_documents.cli`).
`cairn hris-connection create --tenant-id T --provider P [...]`: another HRIS connection.
`cairn hris-connection list --tenant-id T` / `show --id C`: connections as operators see them
(never their secrets), with what last went wrong reaching the provider's API.

Writes to the gateway's database (GATEWAY_DATABASE_URL, or the SQLite file under var/);
secrets are sealed with GATEWAY_SEALING_KEYS (required beside GATEWAY_DATABASE_URL)."""

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from messaging.outbox import UnitOfWork
from messaging.settings import KafkaSettings
from persistence.migrations import upgrade_async
from runtime.sealing import Sealer

from gateway import bootstrap
from gateway.access import cli as access_cli
from gateway.config import GatewayStoreSettings
from gateway.hris.registry import PROVIDERS
from gateway.service_layer.hris_connections import (
    MIN_PROVIDER_SECRET,
    InvalidConnection,
    connection_summaries,
    create_hris_connection,
    seal_plaintext_connections,
)
from gateway.service_layer.tenants import InvalidTenantName, create_tenant
from gateway.trusted_documents import cli as trusted_documents_cli

T = TypeVar("T")
# Provider settings as the command line spells them.
_SETTING_OPTIONS = {"api_base": "--api-base", "api_key": "--api-key"}


async def _in_gateway_db(use_case: Callable[[UnitOfWork, Sealer], Awaitable[T]]) -> T:
    settings = GatewayStoreSettings.load().model_copy(update={"run_workers": False})
    sealer = settings.sealer("gateway")  # stops here, naming GATEWAY_SEALING_KEYS, if missing
    process = bootstrap.build(settings, KafkaSettings(), sealer)
    await upgrade_async(process.migrations_dir, process.database_url)
    try:
        await seal_plaintext_connections(process.uow, sealer)
        async with process.uow() as uow:
            return await use_case(uow, sealer)
    finally:
        await process.engine.dispose()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cairn", description="Operate a Cairn installation.")
    commands = parser.add_subparsers(dest="area", required=True)
    tenant = commands.add_parser("tenant", help="tenants").add_subparsers(
        dest="action", required=True
    )
    create = tenant.add_parser("create", help="create a tenant; prints its credentials once")
    create.add_argument("--name", required=True, help="the organization's name")

    connections = commands.add_parser(
        "hris-connection", help="HRIS connections pushing org changes"
    ).add_subparsers(dest="action", required=True)
    connect = connections.add_parser(
        "create",
        help="connect an HRIS to a tenant; prints the connection id (and secret) once",
        description="Prints {hrisConnectionId, secret}. The HRIS posts to "
        "/webhooks/hris/{hrisConnectionId}/{provider} (canonical: without /{provider}).",
    )
    connect.add_argument("--tenant-id", required=True)
    connect.add_argument("--provider", required=True, choices=sorted(PROVIDERS))
    connect.add_argument(
        "--secret",
        help="the signing key the provider shows (Merge: the organization's signature key; "
        f"BambooHR: the webhook's private key), at least {MIN_PROVIDER_SECRET} characters; "
        "canonical connections get one issued",
    )
    connect.add_argument("--api-base", help="BambooHR: the company's API base URL")
    connect.add_argument("--api-key", help="BambooHR: an API key that may read employees")
    listing = connections.add_parser(
        "list", help="a tenant's connections and their last errors, without secrets"
    )
    listing.add_argument("--tenant-id", required=True)
    show = connections.add_parser("show", help="one connection and its last error, without secrets")
    show.add_argument("--id", required=True, help="the hrisConnectionId")
    access_cli.add_commands(commands)
    trusted_documents_cli.add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.area in access_cli.AREAS:
        return access_cli.run(
            args, lambda use_case: asyncio.run(_in_gateway_db(lambda uow, _: use_case(uow)))
        )
    if args.area in trusted_documents_cli.AREAS:
        return trusted_documents_cli.run(
            args, lambda use_case: asyncio.run(_in_gateway_db(lambda uow, _: use_case(uow)))
        )
    if args.area == "tenant":
        try:
            credentials = asyncio.run(
                _in_gateway_db(lambda uow, sealer: create_tenant(uow, args.name, sealer))
            )
        except InvalidTenantName as exc:
            print(f"cairn: --name: {exc}", file=sys.stderr)
            return 2
        print(json.dumps(credentials.as_json()))
        return 0
    if args.action == "create":
        return _create_connection(args)
    return _describe_connections(args)


def _create_connection(args: argparse.Namespace) -> int:
    provider_settings: dict[str, Any] = {
        name: value for name in _SETTING_OPTIONS if (value := getattr(args, name)) is not None
    }
    try:
        connection = asyncio.run(
            _in_gateway_db(
                lambda uow, sealer: create_hris_connection(
                    uow,
                    sealer,
                    args.tenant_id,
                    args.provider,
                    secret=args.secret,
                    settings=provider_settings,
                )
            )
        )
    except InvalidConnection as exc:
        option = _SETTING_OPTIONS.get(exc.field, "--" + exc.field.replace("_", "-"))
        print(f"cairn: {option}: {exc.message}", file=sys.stderr)
        return 2
    print(json.dumps(connection.as_json()))
    return 0


def _describe_connections(args: argparse.Namespace) -> int:
    one = args.action == "show"
    found = asyncio.run(
        _in_gateway_db(
            lambda uow, sealer: connection_summaries(
                uow,
                sealer,
                tenant_id=None if one else args.tenant_id,
                connection_id=args.id if one else None,
            )
        )
    )
    if one:
        if not found:
            print(f"cairn: --id: no HRIS connection {args.id!r}", file=sys.stderr)
            return 2
        print(json.dumps(found[0].as_json()))
    else:
        print(json.dumps([summary.as_json() for summary in found]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
