"""The trusted documents area of the GraphQL API (ADMIN keys): register a document (checked
against the current schema), list and remove them. End-user tokens run only these."""

import strawberry
from runtime.refusals import Refused
from strawberry.types import Info

from gateway.access.schema import _tenant, refused_errors
from gateway.graphql.context import CairnContext
from gateway.graphql.user_errors import UserError
from gateway.trusted_documents import documents
from gateway.trusted_documents.documents import Registered


@strawberry.type(description="An operation this organization trusts, run by its id")
class TrustedDocument:
    id: strawberry.ID = strawberry.field(
        description="sha256:<hex> of the exact text: send it as documentId"
    )
    name: str | None
    document: str
    created_at: str

    @classmethod
    def of(cls, found: Registered) -> "TrustedDocument":
        return cls(
            id=strawberry.ID(found.document_id),
            name=found.name,
            document=found.body,
            created_at=found.created_at.isoformat(),
        )


@strawberry.input
class RegisterTrustedDocumentInput:
    document: str = strawberry.field(description="The exact text clients will send the id of")
    name: str | None = None


@strawberry.input
class RemoveTrustedDocumentInput:
    id: strawberry.ID


@strawberry.type
class TrustedDocumentPayload:
    trusted_document: TrustedDocument | None
    user_errors: list[UserError]


@strawberry.type
class TrustedDocumentsQuery:
    @strawberry.field(description="The organization's trusted documents, oldest first (ADMIN).")
    async def trusted_documents(self, info: Info[CairnContext, None]) -> list[TrustedDocument]:
        found = await info.context.in_gateway_db(lambda uow: documents.listed(uow, _tenant(info)))
        return [TrustedDocument.of(d) for d in found]


@strawberry.type
class TrustedDocumentsMutation:
    @strawberry.mutation(
        description="Trust a document: end-user tokens may then run it by its id (ADMIN)."
    )
    async def register_trusted_document(
        self, info: Info[CairnContext, None], input: RegisterTrustedDocumentInput
    ) -> TrustedDocumentPayload:
        try:
            documents.check_runs(info.schema._schema, input.document)
            found = await info.context.in_gateway_db(
                lambda uow: documents.register(uow, _tenant(info), input.document, input.name),
            )
        except Refused as refused:
            return TrustedDocumentPayload(
                trusted_document=None, user_errors=refused_errors(refused)
            )
        return TrustedDocumentPayload(trusted_document=TrustedDocument.of(found), user_errors=[])

    @strawberry.mutation(description="End-user tokens may no longer run it (ADMIN).")
    async def remove_trusted_document(
        self, info: Info[CairnContext, None], input: RemoveTrustedDocumentInput
    ) -> TrustedDocumentPayload:
        try:
            found = await info.context.in_gateway_db(
                lambda uow: documents.remove(uow, _tenant(info), str(input.id))
            )
        except Refused as refused:
            return TrustedDocumentPayload(
                trusted_document=None, user_errors=refused_errors(refused)
            )
        return TrustedDocumentPayload(trusted_document=TrustedDocument.of(found), user_errors=[])
