"""`cairn tenant create --name NAME`: a tenant, its first API key and HRIS connection, as JSON.

Writes to the gateway's database (GATEWAY_DATABASE_URL, or the SQLite file under var/)."""

import argparse
import asyncio
import json
import sys

from messaging.settings import KafkaSettings
from persistence.migrations import upgrade_async

from gateway import bootstrap
from gateway.config import GatewaySettings
from gateway.service_layer.tenants import InvalidTenantName, TenantCredentials, create_tenant


async def _create_tenant(name: str) -> TenantCredentials:
    settings = GatewaySettings(run_workers=False)
    process = bootstrap.build(settings, KafkaSettings())
    await upgrade_async(process.migrations_dir, process.database_url)
    try:
        async with process.uow() as uow:
            return await create_tenant(uow, name)
    finally:
        await process.engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cairn", description="Operate a Cairn installation.")
    commands = parser.add_subparsers(dest="area", required=True)
    tenant = commands.add_parser("tenant", help="tenants").add_subparsers(
        dest="action", required=True
    )
    create = tenant.add_parser("create", help="create a tenant; prints its credentials once")
    create.add_argument("--name", required=True, help="the organization's name")
    args = parser.parse_args(argv)
    try:
        credentials = asyncio.run(_create_tenant(args.name))
    except InvalidTenantName as exc:
        print(f"cairn: --name: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(credentials.as_json()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
