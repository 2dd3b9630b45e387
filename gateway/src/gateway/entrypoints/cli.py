"""`cairn tenant create --name NAME`: a tenant, its first API key and HRIS connection, as JSON.
`cairn hris-connection create --tenant-id T --provider P [...]`: another HRIS connection.

Writes to the gateway's database (GATEWAY_DATABASE_URL, or the SQLite file under var/)."""

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from messaging.outbox import UnitOfWork
from messaging.settings import KafkaSettings
from persistence.migrations import upgrade_async

from gateway import bootstrap
from gateway.config import GatewayStoreSettings
from gateway.hris.registry import PROVIDERS
from gateway.service_layer.tenants import (
    InvalidConnection,
    InvalidTenantName,
    create_hris_connection,
    create_tenant,
)

T = TypeVar("T")
# Provider settings as the command line spells them.
_SETTING_OPTIONS = {"api_base": "--api-base", "api_key": "--api-key"}


async def _in_gateway_db(use_case: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    settings = GatewayStoreSettings.load().model_copy(update={"run_workers": False})
    process = bootstrap.build(settings, KafkaSettings())
    await upgrade_async(process.migrations_dir, process.database_url)
    try:
        async with process.uow() as uow:
            return await use_case(uow)
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
        "BambooHR: the webhook's private key); canonical connections get one issued",
    )
    connect.add_argument("--api-base", help="BambooHR: the company's API base URL")
    connect.add_argument("--api-key", help="BambooHR: an API key that may read employees")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.area == "tenant":
        try:
            credentials = asyncio.run(_in_gateway_db(lambda uow: create_tenant(uow, args.name)))
        except InvalidTenantName as exc:
            print(f"cairn: --name: {exc}", file=sys.stderr)
            return 2
        print(json.dumps(credentials.as_json()))
        return 0

    provider_settings: dict[str, Any] = {
        name: value for name in _SETTING_OPTIONS if (value := getattr(args, name)) is not None
    }
    try:
        connection = asyncio.run(
            _in_gateway_db(
                lambda uow: create_hris_connection(
                    uow,
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


if __name__ == "__main__":
    sys.exit(main())
