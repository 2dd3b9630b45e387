"""/scim/v2: SCIM 2.0 over HTTP (RFC 7644), authenticated by the tenant's API key as a bearer
token. Answers and errors are `application/scim+json` (see gateway.scim.errors for why errors
are not problem+json here)."""

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Union

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from runtime.bodies import BodyTooSlow, parse_json, read_within
from runtime.storable_text import UnstorableText
from scim2_models import (
    Context,
    InvalidSyntaxException,
    InvalidValueException,
    ListResponse,
    NotFoundException,
    PayloadTooLargeException,
    Resource,
    ResourceType,
    ResponseParameters,
    Schema,
    SCIMException,
    SearchRequest,
    UnauthorizedException,
)

from gateway.adapters.database import DATABASE_UNAVAILABLE
from gateway.entrypoints.authentication import api_key_caller
from gateway.scim import groups, users
from gateway.scim.errors import error_response, from_exception, from_validation_error, scim_json
from gateway.scim.filtering import Equals, NoMatch, page, read_filter
from gateway.scim.patching import read_patch
from gateway.scim.service import (
    CONFIG,
    MAX_RESULTS,
    PROVIDER,
    GroupResource,
    UserResource,
    published_schemas,
    resource_type,
    schema,
)
from gateway.scim.versions import etag, not_modified

log = logging.getLogger(__name__)
router = APIRouter(prefix="/scim/v2", tags=["scim"])

MAX_BODY_BYTES = 1024 * 1024
_QUERY_PARAMETERS = ("filter", "startIndex", "count", "attributes", "excludedAttributes")
_RESPONSE_PARAMETERS = ("attributes", "excludedAttributes")

Handler = Callable[[Request, str], Awaitable[Response]]


async def _answer(request: Request, handler: Handler, *, public: bool = False) -> Response:
    """Runs a handler for the caller's tenant and turns every failure into a SCIM error."""
    try:
        with PROVIDER:  # the service's models and tolerance for everything read below
            tenant_id = "" if public else await _tenant(request)
            return await handler(request, tenant_id)
    except UnauthorizedException as exc:
        response = from_exception(exc)
        response.headers["WWW-Authenticate"] = 'Bearer realm="scim"'
        return response
    except SCIMException as exc:
        return from_exception(exc)
    except ValidationError as exc:
        return from_validation_error(exc)
    except BodyTooSlow as exc:
        return error_response(408, str(exc))
    except DATABASE_UNAVAILABLE:
        # Nothing was stored (the transaction did not commit): the client retries.
        log.exception("scim request not served: the gateway's database is unavailable")
        return error_response(
            503, "the gateway cannot store this now; retry later", headers={"Retry-After": "30"}
        )


async def _tenant(request: Request) -> str:
    if not request.headers.get("authorization", "").lower().startswith("bearer "):
        raise UnauthorizedException(detail="send Authorization: Bearer <API key>")
    caller = await api_key_caller(request)
    if caller is None:
        raise UnauthorizedException(detail="the API key is not valid")
    return caller.tenant_id


def _base_url(request: Request) -> str:
    """Where resources are, as clients reach them: the configured public base URL, never the
    Host header (a client's choice, which would put its host in meta.location)."""
    base: str = request.app.state.settings.scim_base_url()
    return base


async def _body(request: Request) -> Any:
    """The body's JSON, read within the size and time limits (BodyTooSlow: 408), its nesting
    checked before parsing."""
    raw = await read_within(
        request, MAX_BODY_BYTES, timeout_s=request.app.state.settings.body_read_timeout_s
    )
    if raw is None:
        raise PayloadTooLargeException(detail=f"a request may be at most {MAX_BODY_BYTES} bytes")
    try:
        return parse_json(raw)
    except UnstorableText as exc:
        raise InvalidValueException(detail=str(exc)) from exc
    except ValueError as exc:  # not JSON, or nested too deep to parse
        raise InvalidSyntaxException(detail=f"the body is not JSON: {exc}") from exc


def _params(query: Mapping[str, str], names: tuple[str, ...]) -> dict[str, str]:
    return {name: query[name] for name in names if name in query}


def _response_parameters(request: Request, model: type[Resource[Any]]) -> ResponseParameters[Any]:
    return ResponseParameters[model].model_validate(  # type: ignore[valid-type]
        _params(request.query_params, _RESPONSE_PARAMETERS)
    )


def _one(
    resource: Resource[Any],
    version: int,
    params: ResponseParameters[Any],
    context: Context,
    status: int = 200,
) -> Response:
    headers = {"ETag": etag(version)}
    if status == 201 and resource.meta and resource.meta.location:
        headers["Location"] = resource.meta.location
    body = resource.model_dump(scim_ctx=context, response_parameters=params)
    return scim_json(body, status, headers)


def _listed(
    model: Any, resources: list[Any], total: int, offset: int, search: SearchRequest[Any]
) -> Response:
    listing = ListResponse[model](
        total_results=total,
        start_index=offset + 1,
        items_per_page=len(resources),
        resources=resources,
    )
    return scim_json(
        listing.model_dump(scim_ctx=Context.SEARCH_RESPONSE, response_parameters=search)
    )


# --- discovery (RFC 7644 §4): the same for every tenant, so no credentials needed ----------


@router.get("/ServiceProviderConfig")
async def service_provider_config(request: Request) -> Response:
    async def handle(_: Request, __: str) -> Response:
        return scim_json(CONFIG.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))

    return await _answer(request, handle, public=True)


@router.get("/ResourceTypes")
async def resource_types(request: Request) -> Response:
    async def handle(_: Request, __: str) -> Response:
        found = list(PROVIDER.resource_types)
        listing = ListResponse[ResourceType](
            total_results=len(found), start_index=1, items_per_page=len(found), resources=found
        )
        return scim_json(listing.model_dump(scim_ctx=Context.SEARCH_RESPONSE))

    return await _answer(request, handle, public=True)


@router.get("/ResourceTypes/{name}")
async def one_resource_type(request: Request, name: str) -> Response:
    async def handle(_: Request, __: str) -> Response:
        found = resource_type(name)
        if found is None:
            raise NotFoundException(detail=f"no ResourceType {name}")
        return scim_json(found.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))

    return await _answer(request, handle, public=True)


@router.get("/Schemas")
async def schemas(request: Request) -> Response:
    async def handle(_: Request, __: str) -> Response:
        found = list(published_schemas())
        listing = ListResponse[Schema](
            total_results=len(found), start_index=1, items_per_page=len(found), resources=found
        )
        return scim_json(listing.model_dump(scim_ctx=Context.SEARCH_RESPONSE))

    return await _answer(request, handle, public=True)


@router.get("/Schemas/{schema_id}")
async def one_schema(request: Request, schema_id: str) -> Response:
    async def handle(_: Request, __: str) -> Response:
        found = schema(schema_id)
        if found is None:
            raise NotFoundException(detail=f"no Schema {schema_id}")
        return scim_json(found.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))

    return await _answer(request, handle, public=True)


# --- Users ---------------------------------------------------------------------------------


async def _search_users(request: Request, tenant_id: str, search: SearchRequest[Any]) -> Response:
    criterion = (
        read_filter(UserResource, search.filter, users.USER_FILTERS, lenient=False)
        if search.filter
        else None
    )
    window = page(search.start_index, search.count, MAX_RESULTS)
    async with request.app.state.process.uow() as uow:
        total, rows = await users.list_users(uow, tenant_id, criterion, window)
    base = _base_url(request)
    found = [users.render_user(row, base) for row in rows]
    return _listed(UserResource, found, total, window.offset, search)


@router.get("/Users")
async def list_users(request: Request) -> Response:
    async def handle(request: Request, tenant_id: str) -> Response:
        search = SearchRequest[UserResource].model_validate(  # type: ignore[valid-type]
            _params(request.query_params, _QUERY_PARAMETERS)
        )
        return await _search_users(request, tenant_id, search)

    return await _answer(request, handle)


@router.post("/Users/.search")
async def search_users(request: Request) -> Response:
    async def handle(request: Request, tenant_id: str) -> Response:
        search = SearchRequest[UserResource].model_validate(  # type: ignore[valid-type]
            await _body(request), scim_ctx=Context.SEARCH_REQUEST
        )
        return await _search_users(request, tenant_id, search)

    return await _answer(request, handle)


@router.post("/Users")
async def create_user(request: Request) -> Response:
    async def handle(request: Request, tenant_id: str) -> Response:
        user = UserResource.model_validate(
            await _body(request), scim_ctx=Context.RESOURCE_CREATION_REQUEST
        )
        row = await users.create_user(request.app.state.process.uow, tenant_id, user)
        rendered = users.render_user(row, _base_url(request))
        params = _response_parameters(request, UserResource)
        return _one(rendered, row.version, params, Context.RESOURCE_CREATION_RESPONSE, 201)

    return await _answer(request, handle)


@router.get("/Users/{user_id}")
async def get_user(request: Request, user_id: str) -> Response:
    async def handle(request: Request, tenant_id: str) -> Response:
        async with request.app.state.process.uow() as uow:
            row = await users.get_user(uow, tenant_id, user_id)
        if not_modified(request.headers.get("if-none-match"), row.version):
            return Response(status_code=304, headers={"ETag": etag(row.version)})
        rendered = users.render_user(row, _base_url(request))
        params = _response_parameters(request, UserResource)
        return _one(rendered, row.version, params, Context.RESOURCE_QUERY_RESPONSE)

    return await _answer(request, handle)


@router.put("/Users/{user_id}")
async def replace_user(request: Request, user_id: str) -> Response:
    async def handle(request: Request, tenant_id: str) -> Response:
        user = UserResource.model_validate(
            await _body(request), scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST
        )
        row = await users.replace_user(
            request.app.state.process.uow, tenant_id, user_id, user, request.headers.get("if-match")
        )
        rendered = users.render_user(row, _base_url(request))
        params = _response_parameters(request, UserResource)
        return _one(rendered, row.version, params, Context.RESOURCE_REPLACEMENT_RESPONSE)

    return await _answer(request, handle)


@router.patch("/Users/{user_id}")
async def patch_user(request: Request, user_id: str) -> Response:
    async def handle(request: Request, tenant_id: str) -> Response:
        patch = read_patch(UserResource, await _body(request))
        row = await users.patch_user(
            request.app.state.process.uow,
            tenant_id,
            user_id,
            patch,
            request.headers.get("if-match"),
        )
        rendered = users.render_user(row, _base_url(request))
        params = _response_parameters(request, UserResource)
        return _one(rendered, row.version, params, Context.RESOURCE_PATCH_RESPONSE)

    return await _answer(request, handle)


@router.delete("/Users/{user_id}")
async def delete_user(request: Request, user_id: str) -> Response:
    async def handle(request: Request, tenant_id: str) -> Response:
        await users.delete_user(
            request.app.state.process.uow, tenant_id, user_id, request.headers.get("if-match")
        )
        return Response(status_code=204)

    return await _answer(request, handle)


# --- Groups --------------------------------------------------------------------------------


async def _search_groups(request: Request, tenant_id: str, search: SearchRequest[Any]) -> Response:
    criterion = (
        read_filter(GroupResource, search.filter, groups.GROUP_FILTERS, lenient=False)
        if search.filter
        else None
    )
    window = page(search.start_index, search.count, MAX_RESULTS)
    async with request.app.state.process.uow() as uow:
        total, rows = await groups.list_groups(uow, tenant_id, criterion, window)
    base = _base_url(request)
    found = [groups.render_group(row, base) for row in rows]
    return _listed(GroupResource, found, total, window.offset, search)


@router.get("/Groups")
async def list_groups(request: Request) -> Response:
    async def handle(request: Request, tenant_id: str) -> Response:
        search = SearchRequest[GroupResource].model_validate(
            _params(request.query_params, _QUERY_PARAMETERS)
        )
        return await _search_groups(request, tenant_id, search)

    return await _answer(request, handle)


@router.post("/Groups/.search")
async def search_groups(request: Request) -> Response:
    async def handle(request: Request, tenant_id: str) -> Response:
        search = SearchRequest[GroupResource].model_validate(
            await _body(request), scim_ctx=Context.SEARCH_REQUEST
        )
        return await _search_groups(request, tenant_id, search)

    return await _answer(request, handle)


@router.post("/Groups")
async def create_group(request: Request) -> Response:
    async def handle(request: Request, tenant_id: str) -> Response:
        group = GroupResource.model_validate(
            await _body(request), scim_ctx=Context.RESOURCE_CREATION_REQUEST
        )
        row = await groups.create_group(request.app.state.process.uow, tenant_id, group)
        rendered = groups.render_group(row, _base_url(request))
        params = _response_parameters(request, GroupResource)
        return _one(rendered, row.version, params, Context.RESOURCE_CREATION_RESPONSE, 201)

    return await _answer(request, handle)


@router.get("/Groups/{group_id}")
async def get_group(request: Request, group_id: str) -> Response:
    async def handle(request: Request, tenant_id: str) -> Response:
        async with request.app.state.process.uow() as uow:
            row = await groups.get_group(uow, tenant_id, group_id)
        if not_modified(request.headers.get("if-none-match"), row.version):
            return Response(status_code=304, headers={"ETag": etag(row.version)})
        rendered = groups.render_group(row, _base_url(request))
        params = _response_parameters(request, GroupResource)
        return _one(rendered, row.version, params, Context.RESOURCE_QUERY_RESPONSE)

    return await _answer(request, handle)


@router.put("/Groups/{group_id}")
async def replace_group(request: Request, group_id: str) -> Response:
    async def handle(request: Request, tenant_id: str) -> Response:
        group = GroupResource.model_validate(
            await _body(request), scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST
        )
        row = await groups.replace_group(
            request.app.state.process.uow,
            tenant_id,
            group_id,
            group,
            request.headers.get("if-match"),
        )
        rendered = groups.render_group(row, _base_url(request))
        params = _response_parameters(request, GroupResource)
        return _one(rendered, row.version, params, Context.RESOURCE_REPLACEMENT_RESPONSE)

    return await _answer(request, handle)


@router.patch("/Groups/{group_id}")
async def patch_group(request: Request, group_id: str) -> Response:
    async def handle(request: Request, tenant_id: str) -> Response:
        patch = read_patch(GroupResource, await _body(request))
        row = await groups.patch_group(
            request.app.state.process.uow,
            tenant_id,
            group_id,
            patch,
            request.headers.get("if-match"),
        )
        rendered = groups.render_group(row, _base_url(request))
        params = _response_parameters(request, GroupResource)
        return _one(rendered, row.version, params, Context.RESOURCE_PATCH_RESPONSE)

    return await _answer(request, handle)


@router.delete("/Groups/{group_id}")
async def delete_group(request: Request, group_id: str) -> Response:
    async def handle(request: Request, tenant_id: str) -> Response:
        await groups.delete_group(
            request.app.state.process.uow, tenant_id, group_id, request.headers.get("if-match")
        )
        return Response(status_code=204)

    return await _answer(request, handle)


# --- searching every resource type at once (RFC 7644 §3.4.3) -------------------------------

_Any = Union[UserResource, GroupResource]  # type: ignore[valid-type]  # noqa: UP007


@router.post("/.search")
async def search_everything(request: Request) -> Response:
    """Users first, then Groups, paged as one list. A filter naming an attribute only one
    of them has matches nothing of the other (RFC 7644 §3.4.2.1)."""

    async def handle(request: Request, tenant_id: str) -> Response:
        search = SearchRequest[_Any].model_validate(
            await _body(request), scim_ctx=Context.SEARCH_REQUEST
        )
        user_criterion: Equals | NoMatch | None = None
        group_criterion: Equals | NoMatch | None = None
        if search.filter:
            user_criterion = read_filter(
                UserResource, search.filter, users.USER_FILTERS, lenient=True
            )
            group_criterion = read_filter(
                GroupResource, search.filter, groups.GROUP_FILTERS, lenient=True
            )
        window = page(search.start_index, search.count, MAX_RESULTS)
        base = _base_url(request)
        async with request.app.state.process.uow() as uow:
            user_total, user_rows = await users.list_users(uow, tenant_id, user_criterion, window)
            # Groups fill what is left of the window, from where the users end.
            group_window = page(
                max(window.offset - user_total, 0) + 1,
                window.limit - len(user_rows),
                MAX_RESULTS,
            )
            group_total, group_rows = await groups.list_groups(
                uow, tenant_id, group_criterion, group_window
            )
        found: list[Any] = [users.render_user(row, base) for row in user_rows]
        found += [groups.render_group(row, base) for row in group_rows]
        return _listed(_Any, found, user_total + group_total, window.offset, search)

    return await _answer(request, handle)


# --- everything else under /scim/v2 --------------------------------------------------------


@router.api_route("/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
async def elsewhere(request: Request, rest: str) -> Response:
    """SCIM errors for unknown endpoints (404) and methods an endpoint lacks (405)."""
    path = request.url.path
    served = [
        route
        for route in router.routes
        if getattr(route, "endpoint", None) is not elsewhere
        and getattr(route, "path_regex", None) is not None
        and route.path_regex.match(path)  # type: ignore[attr-defined]
    ]
    if served:
        allowed = sorted({m for route in served for m in getattr(route, "methods", set())})
        return error_response(
            405, f"{request.method} is not allowed here", headers={"Allow": ", ".join(allowed)}
        )
    return error_response(404, f"no SCIM endpoint {path}")
