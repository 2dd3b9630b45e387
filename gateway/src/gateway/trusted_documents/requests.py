"""Which document a GraphQL request runs: its `query`, or a trusted document named by
`documentId` (GraphQL over HTTP's persisted documents) or `extensions.persistedQuery.
sha256Hash` (Apollo's). End-user tokens may run only trusted documents (the partner
frontends' known operations); integrator keys may also send any query."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, Final

from messaging.outbox import UnitOfWork
from runtime.refusals import Refused

from gateway.access.principal import Principal
from gateway.graphql.errors import BadUserInput, CairnError
from gateway.trusted_documents import documents

Units = Callable[[], AbstractAsyncContextManager[UnitOfWork]]


class TrustedDocumentRequired(CairnError):
    code = "TRUSTED_DOCUMENT_REQUIRED"


class TrustedDocumentNotFound(CairnError):
    code = "PERSISTED_QUERY_NOT_FOUND"  # Apollo's code, which its clients know


STATUS: Final = {
    TrustedDocumentRequired.code: 403,
    TrustedDocumentNotFound.code: 404,
}


def named_document(document_id: object, extensions: dict[str, Any] | None) -> str | None:
    """The document id a request names, if any (refused unless well formed)."""
    if document_id is None:
        persisted = (extensions or {}).get("persistedQuery")
        given = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
        if given is None:
            return None
        field, document_id = "extensions.persistedQuery.sha256Hash", f"{documents.PREFIX}{given}"
    else:
        field = "documentId"
    if not isinstance(document_id, str):
        raise BadUserInput(f"{field} must be a string", field=field)
    try:
        return documents.checked_id(document_id, field)
    except Refused as refused:
        raise BadUserInput(f"{field} {refused.message}", field=field) from refused


async def document_to_run(
    units: Units | None, principal: Principal, query: str | None, document_id: str | None
) -> str | None:
    """The text to execute; CairnError when the caller may not run what it sent."""
    if document_id is None:
        if principal.is_person:
            raise TrustedDocumentRequired(
                "end-user tokens may run only trusted documents: send documentId "
                '("sha256:<hex>") of a document your organization registered, not a query'
            )
        return query
    if units is None:
        raise TrustedDocumentNotFound("trusted documents need the gateway's database")
    async with units() as uow:
        found = await documents.find(uow, principal.tenant_id, document_id)
    if found is None:
        raise TrustedDocumentNotFound(
            f"no trusted document {document_id} is registered for this organization "
            "(registerTrustedDocument)",
            documentId=document_id,
        )
    if query is not None and query != found.body:
        raise BadUserInput("query differs from the document documentId names", field="query")
    return found.body
