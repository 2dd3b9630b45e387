"""/graphql: authenticate the API key, then run the query with a per-request context."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from service_auth.tokens import Caller
from strawberry.fastapi import GraphQLRouter

from gateway.adapters.upstream import Upstreams
from gateway.entrypoints.authentication import api_key_caller
from gateway.graphql.context import CairnContext
from gateway.graphql.schema import schema


class Unauthenticated(Exception):
    pass


async def authenticated_caller(request: Request) -> Caller:
    if not request.headers.get("authorization", "").lower().startswith("bearer "):
        raise Unauthenticated("send Authorization: Bearer <API key>")
    caller = await api_key_caller(request)
    if caller is None:
        raise Unauthenticated("the API key is not valid")
    return caller


def unauthenticated_response(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"message": str(exc), "extensions": {"code": "UNAUTHENTICATED"}}]},
        status_code=401,
        headers={"WWW-Authenticate": "Bearer"},
    )


async def context(
    request: Request, caller: Annotated[Caller, Depends(authenticated_caller)]
) -> CairnContext:
    upstreams: Upstreams = request.app.state.upstreams
    return CairnContext(caller=caller, upstreams=upstreams)


def graphql_router() -> GraphQLRouter[CairnContext, None]:
    return GraphQLRouter(
        schema,
        path="/graphql",
        context_getter=context,
        graphql_ide=None,
        multipart_uploads_enabled=False,
    )
