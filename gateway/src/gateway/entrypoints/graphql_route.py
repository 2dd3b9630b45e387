"""/graphql: authenticate the API key or end-user token, then run the query with a
per-request context, in one of the tenant's turns and within the request's deadline (see
`gateway.graphql.turns`); a query refused for its cost keeps its turn a while (see
`QueryLimits.refusal_hold_s`). Every answer to an authenticated caller carries its points
budget (`x-ratelimit-*`, `extensions.cost`); a caller over it gets 429 with Retry-After.

GraphQL over HTTP: a client accepting `application/graphql-response+json` gets it, with the
draft's status codes (400 a document that does not parse, 422 one refused before execution —
validation, cost; 200 once execution started); `application/json` clients keep 200.

A request may name a trusted document instead of sending a query (`gateway.trusted_documents`:
end-user tokens must); a creating mutation sent with `Idempotency-Key` runs once
(`gateway.idempotency`). Their refusals carry their own status codes, for every client.

Subscriptions: graphql-transport-ws on the same path, the caller named in `connection_init`."""

import logging
from dataclasses import dataclass
from typing import Annotated, Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from fastapi import Depends, Request, Response
from fastapi.responses import JSONResponse
from runtime.bodies import JsonTooDeep, parse_json
from runtime.storable_text import UnstorableText
from starlette.datastructures import State
from starlette.requests import HTTPConnection
from strawberry.exceptions import ConnectionRejectionError
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLRequestData
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from gateway.access.budgets import Budgets, BudgetTerms, Meter
from gateway.access.errors import Throttled
from gateway.access.principal import Principal
from gateway.adapters.upstream import Upstreams
from gateway.config import GatewaySettings
from gateway.entrypoints.authentication import (
    AuthenticationUnavailable,
    Unauthenticated,
    principal_for,
)
from gateway.graphql.context import CairnContext
from gateway.graphql.errors import CairnError, QueryTooComplex, RateLimited, Unavailable
from gateway.graphql.limits import QueryLimits
from gateway.graphql.schema import schema
from gateway.graphql.turns import NoTurn, Stopped, TenantTurns, within_deadline
from gateway.idempotency import requests as idempotency
from gateway.trusted_documents import requests as trusted

log = logging.getLogger(__name__)

RETRY_AFTER_S = 1  # a turn frees as soon as one of the tenant's queries ends


GRAPHQL_RESPONSE = "application/graphql-response+json"
LEGACY_JSON = "application/json"

__all__ = ["Unauthenticated", "authenticated_caller", "graphql_router"]


async def authenticated_caller(connection: HTTPConnection) -> Principal | None:
    """HTTP: the Authorization header's principal. A websocket: None here, its credential
    comes in its `connection_init` payload (`CairnGraphQLRouter.on_ws_connect`)."""
    if connection.scope["type"] == "websocket":
        return None
    return await principal_for(connection.app.state, connection.headers.get("authorization", ""))


def unauthenticated_response(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"message": str(exc), "extensions": {"code": "UNAUTHENTICATED"}}]},
        status_code=401,
        headers={"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{exc}"'},
    )


async def context(
    connection: HTTPConnection,
    caller: Annotated[Principal | None, Depends(authenticated_caller)],
) -> CairnContext:
    if caller is None:  # a websocket, until its connection_init names the caller
        return CairnContext.connecting(connection.app.state.upstreams)
    return context_for(connection.app.state, caller)


def context_for(state: State, caller: Principal) -> CairnContext:
    upstreams: Upstreams = state.upstreams
    settings: GatewaySettings | None = getattr(state, "settings", None)
    limits = settings.graphql_limits() if settings is not None else QueryLimits()
    budgets: Budgets | None = getattr(state, "budgets", None)
    meter = None
    if budgets is not None and settings is not None:
        meter = Meter(budgets, f"{caller.tenant_id}/{caller.budget_key}", _terms(settings, caller))
    process = getattr(state, "process", None)
    return CairnContext(
        caller=caller.caller(),
        upstreams=upstreams,
        limits=limits,
        principal=caller,
        meter=meter,
        uow=process.uow if process is not None else None,
        issuer_http_loopback=settings.token_issuer_http_loopback if settings else False,
        public_base_url=(
            str(settings.public_base_url).rstrip("/") if settings else "http://127.0.0.1:8000"
        ),
        program_events=getattr(state, "program_events", None),
    )


def _terms(settings: GatewaySettings, caller: Principal) -> BudgetTerms:
    points = settings.budget_person_points if caller.is_person else settings.budget_key_points
    return BudgetTerms(points=points, window_s=settings.budget_window_s)


def unavailable_response(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"message": str(exc), "extensions": {"code": "UNAVAILABLE"}}]},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


@dataclass
class CairnRequestData(GraphQLRequestData):
    """What Strawberry reads, and the trusted document the request names instead of a query."""

    document_id: str | None = None


# The status of each refusal that has one, for every client (as 429 for throttling).
REFUSAL_STATUS = {**idempotency.STATUS, **trusted.STATUS}


class CairnGraphQLRouter(GraphQLRouter[CairnContext, None]):
    """Strawberry's router, each execution in a turn of its tenant and within its deadline."""

    def __init__(self, **options: Any) -> None:
        super().__init__(schema, **options)
        self.turns = TenantTurns()

    async def on_ws_connect(self, context: CairnContext) -> UnsetType | dict[str, object] | None:
        """graphql-transport-ws: the caller is named in `connection_init`'s payload
        (`{"authorization": "Bearer <key or token>"}`), authenticated exactly as HTTP's header;
        missing or invalid closes the socket with 4403 before any operation runs."""
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        authorization = params.get("authorization", params.get("Authorization", ""))
        websocket = context.request
        assert websocket is not None
        try:
            found = await principal_for(websocket.app.state, str(authorization))
        except (Unauthenticated, AuthenticationUnavailable) as exc:
            log.info("graphql websocket refused: %s", exc)
            raise ConnectionRejectionError({"message": str(exc)}) from exc
        context.adopt(context_for(websocket.app.state, found))
        acknowledged: UnsetType = UNSET  # an acknowledgement without payload
        return acknowledged

    def decode_json(self, data: str | bytes) -> object:
        """Bodies and `variables` through the one JSON reader: nesting bounded first."""
        try:
            return parse_json(data.encode() if isinstance(data, str) else data)
        except JsonTooDeep as exc:
            raise HTTPException(400, f"Unable to parse request body as JSON: {exc}") from exc
        except UnstorableText as exc:
            raise HTTPException(400, f"Invalid text in the request: {exc}") from exc

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        parsed = await super().parse_http_body(request)
        if isinstance(parsed, list):
            return parsed
        if request.method == "GET":
            named = request.query_params.get("documentId")
        else:
            body = self.decode_json(await request.get_body())
            named = body.get("documentId") if isinstance(body, dict) else None
        return CairnRequestData(
            query=parsed.query,
            variables=parsed.variables,
            operation_name=parsed.operation_name,
            extensions=parsed.extensions,
            protocol=parsed.protocol,
            document_id=named,
        )

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: CairnContext,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        try:
            result = await self._execute_once(
                request, request_adapter, sub_response, context, root_value, request_data
            )
        except CairnError as refused:
            result = _failed(refused)
        codes = [(e.extensions or {}).get("code") for e in result.errors or ()]
        for code in codes:
            if code in REFUSAL_STATUS:
                sub_response.status_code = REFUSAL_STATUS[code]
        self._answer_headers(request, sub_response, context, result)
        log.info(
            "graphql %s by %s: cost %s, %s",
            request_data.operation_name or "-",
            context.caller.principal,
            context.meter.last.requested if context.meter and context.meter.last else "-",
            "errors" if result.errors else "ok",
        )
        return result

    async def _execute_once(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: CairnContext,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """The trusted document resolved, then run at most once per Idempotency-Key."""
        caller = context.principal
        if caller is None:  # not through `context` (tests of plumbing)
            return await self._execute_in_turn(
                request, request_adapter, sub_response, context, root_value, request_data
            )
        named = trusted.named_document(
            getattr(request_data, "document_id", None), request_data.extensions
        )
        query = await trusted.document_to_run(context.uow, caller, request_data.query, named)
        if query != request_data.query:
            request_data = GraphQLRequestData(
                query=query,
                variables=request_data.variables,
                operation_name=request_data.operation_name,
                extensions=request_data.extensions,
                protocol=request_data.protocol,
            )
        keyed = idempotency.keyed_request(
            request.headers.get(idempotency.HEADER),
            tenant_id=caller.tenant_id,
            principal=caller.budget_key,
            query=query,
            operation_name=request_data.operation_name,
            variables=request_data.variables,
        )
        resolved = request_data

        async def run() -> ExecutionResult:
            return await self._execute_in_turn(
                request, request_adapter, sub_response, context, root_value, resolved
            )

        if keyed is None or context.uow is None:
            return await run()
        sealer = request.app.state.sealer
        result, replayed = await idempotency.once(context.uow, sealer, keyed, run)
        if replayed:
            sub_response.headers["Idempotent-Replayed"] = "true"  # as Stripe says it
        return result

    def _answer_headers(
        self,
        request: Request,
        sub_response: Response,
        context: CairnContext,
        result: ExecutionResult,
    ) -> None:
        """The caller's budget on every answer; 429 when throttled; GraphQL over HTTP's
        media type and status codes for clients that accept them."""
        if context.meter is not None:
            status = context.meter.current()
            for name, value in status.headers().items():
                sub_response.headers[name] = value
        codes = {(e.extensions or {}).get("code") for e in result.errors or ()}
        if Throttled.code in codes:
            sub_response.status_code = 429
        accepts = request.headers.get("accept", "")
        if GRAPHQL_RESPONSE not in accepts:
            return
        sub_response.media_type = GRAPHQL_RESPONSE
        if sub_response.status_code not in (None, 200) or result.data is not None:
            return
        if result.errors and all(not e.path for e in result.errors):
            # A request error: nothing was executed.
            syntax = any(e.message.startswith("Syntax Error") for e in result.errors)
            sub_response.status_code = 400 if syntax else 422

    def create_response(
        self,
        response_data: Any,
        sub_response: Response,
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        media_type = getattr(sub_response, "media_type", None) or LEGACY_JSON
        response.headers["content-type"] = media_type
        return response

    async def _execute_in_turn(
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
        # Only the protocol whose connection_init must be acknowledged before any operation
        # (the legacy graphql-ws would run a `start` sent without it).
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
    )
