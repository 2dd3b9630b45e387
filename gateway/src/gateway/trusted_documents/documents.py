"""Register, list, remove and find a tenant's trusted documents. A document's id is
`sha256:<hex>` of its exact text (the GraphQL-over-HTTP persisted documents convention): any
change, even whitespace, is another document. Registering the same text again answers the
document already registered."""

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from contracts.problems import Code
from graphql import GraphQLError, GraphQLSchema, parse, validate
from messaging.outbox import UnitOfWork, utcnow
from runtime.refusals import Refused, invalid, not_found
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from gateway.trusted_documents.tables import TrustedDocument

PREFIX: Final = "sha256:"
DOCUMENT_ID: Final = re.compile(r"^sha256:[0-9a-f]{64}$")
MAX_DOCUMENT_CHARS: Final = 100_000
MAX_TOKENS: Final = 2000  # as many as a query sent as text may have (gateway.graphql.schema)


@dataclass(frozen=True)
class Registered:
    document_id: str
    name: str | None
    body: str
    created_at: datetime

    @classmethod
    def of(cls, row: TrustedDocument) -> "Registered":
        return cls(row.document_id, row.name, row.body, row.created_at)

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.document_id,
            "name": self.name,
            "document": self.body,
            "createdAt": self.created_at.isoformat(),
        }


def document_id(body: str) -> str:
    return PREFIX + hashlib.sha256(body.encode()).hexdigest()


def checked_id(given: str, field: str = "documentId") -> str:
    """A document id as a request names it; refused unless `sha256:<64 lower-case hex>`."""
    if not DOCUMENT_ID.match(given):
        raise invalid(field, "must be sha256: followed by 64 lower-case hex digits")
    return given


def _sized(body: str) -> None:
    if not body.strip() or len(body) > MAX_DOCUMENT_CHARS:
        raise invalid(
            "document", f"must be a GraphQL document of 1 to {MAX_DOCUMENT_CHARS} characters"
        )


def check_runs(schema: GraphQLSchema, body: str) -> None:
    """A document that would not run now is refused when registered, naming why."""
    _sized(body)
    try:
        problems = validate(schema, parse(body, max_tokens=MAX_TOKENS))
    except GraphQLError as exc:
        raise invalid("document", exc.message) from exc
    if problems:
        raise invalid("document", problems[0].message)


async def register(uow: UnitOfWork, tenant_id: str, body: str, name: str | None) -> Registered:
    _sized(body)
    if name is not None and not 1 <= len(name.strip()) <= 200:
        raise invalid("name", "must be 1 to 200 characters")
    wanted = document_id(body)
    found = await _row(uow, tenant_id, wanted)
    if found is not None:
        return Registered.of(found)
    row = TrustedDocument(
        id=uuid.uuid4().hex,
        tenant_id=tenant_id,
        document_id=wanted,
        name=name.strip() if name else None,
        body=body,
        created_at=utcnow(),
    )
    uow.session.add(row)
    try:
        await uow.commit()
    except IntegrityError as exc:  # registered concurrently: the same text, the same document
        raise Refused(Code.CONFLICT, "document", "was registered at this moment; retry") from exc
    return Registered.of(row)


async def listed(uow: UnitOfWork, tenant_id: str) -> list[Registered]:
    rows = await uow.session.exec(
        select(TrustedDocument)
        .where(col(TrustedDocument.tenant_id) == tenant_id)
        .order_by(col(TrustedDocument.created_at), col(TrustedDocument.document_id))
    )
    return [Registered.of(row) for row in rows]


async def remove(uow: UnitOfWork, tenant_id: str, given: str) -> Registered:
    found = await _row(uow, tenant_id, checked_id(given, "id"))
    if found is None:
        raise not_found("trusted document", "id")
    gone = Registered.of(found)
    await uow.session.delete(found)
    await uow.commit()
    return gone


async def find(uow: UnitOfWork, tenant_id: str, given: str) -> Registered | None:
    found = await _row(uow, tenant_id, given)
    return Registered.of(found) if found is not None else None


async def _row(uow: UnitOfWork, tenant_id: str, wanted: str) -> TrustedDocument | None:
    return (
        await uow.session.exec(
            select(TrustedDocument).where(
                col(TrustedDocument.tenant_id) == tenant_id,
                col(TrustedDocument.document_id) == wanted,
            )
        )
    ).first()
