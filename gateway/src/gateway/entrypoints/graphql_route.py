"""/graphql: authenticate the API key, then run the query with a per-request context, in one
of the tenant's turns and within the request's deadline (see `gateway.graphql.turns`); a
query refused for its cost keeps its turn a while (see `QueryLimits.refusal_hold_s`)."""

import logging
from typing import Annotated, Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from fastapi import Depends, Request, Response
from fastapi.responses import JSONResponse
from runtime.bodies import JsonTooDeep, parse_json
from service_auth.tokens import Caller
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult

from gateway.adapters.upstream import Upstreams
from gateway.config import GatewaySettings
from gateway.entrypoints.authentication import api_key_caller
from gateway.graphql.context import CairnContext
from gateway.graphql.errors import CairnError, QueryTooComplex, RateLimited, Unavailable
from gateway.graphql.limits import QueryLimits
from gateway.graphql.schema import schema
from gateway.graphql.turns import NoTurn, Stopped, TenantTurns, within_deadline

log = logging.getLogger(__name__)

RETRY_AFTER_S = 1  # a turn frees as soon as one of the tenant's queries ends


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
    settings: GatewaySettings | None = getattr(request.app.state, "settings", None)
    if settings is None:
        return CairnContext(caller=caller, upstreams=upstreams, limits=QueryLimits())
    return CairnContext(
        caller=caller,
        upstreams=upstreams,
        limits=settings.graphql_limits(),
        public_base_url=str(settings.public_base_url).rstrip("/"),
    )


class CairnGraphQLRouter(GraphQLRouter[CairnContext, None]):
    """Strawberry's router, each execution in a turn of its tenant and within its deadline."""

    def __init__(self, **options: Any) -> None:
        super().__init__(schema, **options)
        self.turns = TenantTurns()

    def decode_json(self, data: str | bytes) -> object:
        """Bodies and `variables` through the one JSON reader: nesting bounded first."""
        try:
            return parse_json(data.encode() if isinstance(data, str) else data)
        except JsonTooDeep as exc:
            raise HTTPException(400, f"Unable to parse request body as JSON: {exc}") from exc

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: CairnContext,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        limits, tenant = context.limits, context.caller.tenant_id
        try:
            async with self.turns.turn(
                tenant, limits.tenant_concurrency, limits.tenant_queue_s
            ) as turn:
                result = await within_deadline(
                    super().execute_single(
                        request, request_adapter, sub_response, context, root_value, request_data
                    ),
                    limits.deadline_s,
                    lambda: _client_gone(request),
                )
                if _refused_for_cost(result):
                    turn.keep(limits.refusal_hold_s)
                return result
        except NoTurn:
            log.warning(
                "tenant %s: GraphQL refused, %s queries already running",
                tenant,
                limits.tenant_concurrency,
            )
            sub_response.status_code = 429
            sub_response.headers["Retry-After"] = str(RETRY_AFTER_S)
            return _failed(
                RateLimited(
                    f"this organization already runs {limits.tenant_concurrency} queries at "
                    f"once; retry in {RETRY_AFTER_S} s",
                    retryAfter=RETRY_AFTER_S,
                )
            )
        except Stopped as stopped:
            log.warning("tenant %s: GraphQL stopped: %s", tenant, stopped)
            if stopped.client_gone:  # nobody to read it: said for the record
                return _failed(Unavailable("the client went away; the query was stopped"))
            return _failed(
                Unavailable(
                    f"the query did not finish within {limits.deadline_s:g} s and was stopped; "
                    "ask for less (smaller pages, fewer nested fields) or retry shortly"
                )
            )


async def _client_gone(request: Request) -> None:
    """Returns when the client disconnects (the body was read: all that can still come)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


def _refused_for_cost(result: ExecutionResult) -> bool:
    return any(
        (error.extensions or {}).get("code") == QueryTooComplex.code
        for error in result.errors or ()
    )


def _failed(error: CairnError) -> ExecutionResult:
    return ExecutionResult(data=None, errors=[error])


def graphql_router() -> GraphQLRouter[CairnContext, None]:
    return CairnGraphQLRouter(
        path="/graphql",
        context_getter=context,
        graphql_ide=None,
        multipart_uploads_enabled=False,
    )
