"""Every table of the gateway on its one MetaData, with the outbox and inbox: what Alembic
and the app import (foreign keys resolve, and migrations see the whole schema)."""

from messaging.tables import messaging_tables

from gateway.access import tables as access_tables
from gateway.adapters import tables as gateway_tables
from gateway.adapters.base import metadata
from gateway.erasure import tables as erasure_tables
from gateway.idempotency import tables as idempotency_tables
from gateway.scim import tables as scim_tables
from gateway.trusted_documents import tables as trusted_document_tables
from gateway.webhooks import tables as webhook_tables

messaging = messaging_tables(metadata)

# The table modules, named: importing them is what registers their tables on `metadata`.
TABLE_MODULES = (
    gateway_tables,
    scim_tables,
    webhook_tables,
    access_tables,
    idempotency_tables,
    trusted_document_tables,
    erasure_tables,
)

__all__ = ["TABLE_MODULES", "messaging", "metadata"]
