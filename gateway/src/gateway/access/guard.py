"""Applies `gateway.access.policy` to every field a request resolves (a Strawberry extension,
so no resolver can forget it): scopes for integrator keys; for end-user tokens, the root
fields they may use and how their own data is selected, and the fields of other people's
objects they may not see. Introspection is refused to end-user tokens before anything runs, and
a subscription's root field is decided before it starts."""

import inspect
from collections.abc import Callable, Iterator
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLResolveInfo,
    InlineFragmentNode,
    NoSchemaIntrospectionCustomRule,
    OperationType,
    SelectionSetNode,
    get_named_type,
    get_operation_ast,
    validate,
)
from pydantic.alias_generators import to_snake
from strawberry.extensions import SchemaExtension

from gateway.access.errors import Forbidden
from gateway.access.policy import (
    ADMIN_FIELDS,
    OWNERS,
    PERSON_FIELDS,
    PERSON_ROOTS,
    ActAsSelf,
    Allow,
    Own,
    OwnEnrollment,
    Shown,
    Visibility,
    required_scope,
)
from gateway.access.principal import Principal
from gateway.graphql.ids import decode_id, encode_id
from gateway.graphql.people.types import ReportConnection
from gateway.graphql.relay import Connection, PageInfo

Info = GraphQLResolveInfo[Any]
INTROSPECTION = frozenset({"__schema", "__type"})


class AccessGuard(SchemaExtension):
    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        principal = _principal(context.context)
        document = context.graphql_document
        if (
            principal is not None
            and principal.is_person
            and document is not None
            and validate(context.schema._schema, document, [NoSchemaIntrospectionCustomRule])
        ):
            context.pre_execution_errors = [
                *(context.pre_execution_errors or []),
                Forbidden("introspection is not available to end-user tokens"),
            ]
        elif principal is not None and document is not None:
            refused = _subscription_refused(principal, document, context.operation_name)
            if refused is not None:
                context.pre_execution_errors = [*(context.pre_execution_errors or []), refused]
        yield

    def resolve(
        self,
        _next: Callable[..., Any],
        root: Any,
        info: Info,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        principal = _principal(info.context)
        if principal is None:  # not a public request (the schema exported, tests of plumbing)
            return _next(root, info, *args, **kwargs)
        parent = info.parent_type.name
        coordinate = f"{parent}.{info.field_name}"
        roots = (info.schema.query_type, info.schema.mutation_type, info.schema.subscription_type)
        if info.parent_type in roots:
            if info.field_name.startswith("__"):
                if principal.is_person and info.field_name in INTROSPECTION:
                    raise Forbidden("introspection is not available to end-user tokens")
                return _next(root, info, *args, **kwargs)
            if principal.is_person:
                return _person_root(principal, coordinate, _next, root, info, args, kwargs)
            scope = required_scope(coordinate)
            if scope is not None and not principal.may(scope):
                raise Forbidden(f"{info.field_name} needs a key with the {scope.value} scope")
            return _next(root, info, *args, **kwargs)
        if principal.is_person:
            visibility = PERSON_FIELDS.get(coordinate)
            if visibility is not None:
                owner = OWNERS.get(parent)
                mine = owner is not None and owner(root) == principal.person_id
                if visibility is Visibility.NEVER or not mine:
                    return _empty(info)
        return _next(root, info, *args, **kwargs)


def _subscription_refused(
    principal: Principal, document: DocumentNode, operation_name: str | None
) -> Forbidden | None:
    """A subscription's root field decided before it starts: graphql-core calls the field's
    subscribe function without middleware, so `resolve` would only see its events, after the
    subscription was made. End users may only subscribe to fields open to all (`Allow`)."""
    operation = get_operation_ast(document, operation_name)
    if operation is None or operation.operation is not OperationType.SUBSCRIPTION:
        return None
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    for name in _root_fields(operation.selection_set, fragments):
        if name.startswith("__"):
            continue
        coordinate = f"Subscription.{name}"
        if principal.is_person:
            rule = PERSON_ROOTS.get(coordinate)
            if not isinstance(rule, Allow) or coordinate in ADMIN_FIELDS:
                return Forbidden(f"{name} is not available to end-user tokens")
            continue
        scope = required_scope(coordinate)
        if scope is not None and not principal.may(scope):
            return Forbidden(f"{name} needs a key with the {scope.value} scope")
    return None


def _root_fields(
    selections: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode]
) -> Iterator[str]:
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            yield selection.name.value
        elif isinstance(selection, InlineFragmentNode):
            yield from _root_fields(selection.selection_set, fragments)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:  # an unknown one: validation refuses the document
                yield from _root_fields(fragment.selection_set, fragments)


def _principal(context: Any) -> Principal | None:
    found = getattr(context, "principal", None)
    return found if isinstance(found, Principal) else None


def _person_root(
    principal: Principal,
    coordinate: str,
    _next: Callable[..., Any],
    root: Any,
    info: Info,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    person_id = principal.person_id
    assert person_id is not None
    rule = PERSON_ROOTS.get(coordinate)
    if rule is None or coordinate in ADMIN_FIELDS:
        raise Forbidden(f"{info.field_name} is not available to end-user tokens")
    if isinstance(rule, Allow):
        return _next(root, info, *args, **kwargs)
    if isinstance(rule, Own):
        if decode_id(rule.id_type, str(_argument(kwargs, rule.argument))) != person_id:
            raise Forbidden(f"{rule.argument} must be you", field=rule.argument)
        return _next(root, info, *args, **kwargs)
    if isinstance(rule, ActAsSelf):
        given = _argument(kwargs, rule.argument)
        if given is not None and decode_id("Person", str(given)) != person_id:
            raise Forbidden(f"{rule.argument} must be you", field=rule.argument)
        _set_input(kwargs, rule.argument, encode_id("Person", person_id))
        return _next(root, info, *args, **kwargs)
    if isinstance(rule, OwnEnrollment):
        return _own_enrollment(person_id, rule, _next, root, info, args, kwargs)
    assert isinstance(rule, Shown)
    return _shown(person_id, rule, _next(root, info, *args, **kwargs))


async def _own_enrollment(
    person_id: str,
    rule: OwnEnrollment,
    _next: Callable[..., Any],
    root: Any,
    info: Info,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    key = decode_id("Enrollment", str(_argument(kwargs, rule.argument)))
    own = await info.context.loaders.enrollments_by_person.load(person_id)
    if key is None or key not in {enrollment.id for enrollment in own}:
        raise Forbidden(f"{rule.argument} must be one of your enrollments", field=rule.argument)
    return await _awaited(_next(root, info, *args, **kwargs))


async def _shown(person_id: str, rule: Shown, answer: Any) -> Any:
    found = await _awaited(answer)
    if isinstance(found, list):
        return [item for item in found if rule.visible(person_id, item)]
    if found is not None and not rule.visible(person_id, found):
        return None  # as if it did not exist: existence is not revealed
    return found


async def _awaited(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


def _argument(kwargs: dict[str, Any], name: str) -> Any:
    """An argument, or a member of the `input` argument, by its GraphQL name."""
    for where in (kwargs, kwargs.get("input")):
        if isinstance(where, dict):
            for key in (name, to_snake(name)):
                if key in where:
                    return where[key]
        elif where is not None and hasattr(where, to_snake(name)):
            return getattr(where, to_snake(name))
    return None


def _set_input(kwargs: dict[str, Any], name: str, value: str) -> None:
    given = kwargs.get("input")
    if isinstance(given, dict):
        snake = to_snake(name)
        given[snake if snake in given or name not in given else name] = value
    elif given is not None:
        setattr(given, to_snake(name), value)


def _empty(info: Info) -> Any:
    """What a field hidden from the caller answers: null, an empty list or connection."""
    returns = info.return_type
    if not isinstance(returns, GraphQLNonNull):
        return None
    if isinstance(returns.of_type, GraphQLList):
        return []
    name = get_named_type(returns).name
    if name == "ReportConnection":
        return ReportConnection(
            edges=[], page_info=PageInfo(has_next_page=False, end_cursor=None), total_count=0
        )
    if name.endswith("Connection"):
        return Connection.empty()
    raise Forbidden(f"{info.field_name} is not available to end-user tokens")
