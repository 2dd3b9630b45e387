"""Which SCIM filters Cairn answers, read into what a query needs. Pure.

Lists are served from indexed columns, so the filters are the ones identity providers send
to match accounts: `attribute eq "value"` on userName, externalId or id (Users) and on
displayName, externalId or id (Groups). Anything else is refused with invalidFilter rather
than answered by scanning every resource.
"""

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from scim2_models import InvalidFilterException, Resource, SCIMException, ScimFilter
from scim2_models.path import CompareOperator, Comparison


@dataclass(frozen=True)
class Equals:
    """`attribute eq value`; `attribute` is the model's field name (e.g. "user_name"), and
    `case_exact` says whether the value compares as written or case-insensitively."""

    attribute: str
    value: str
    case_exact: bool


class NoMatch:
    """A filter on an attribute this resource type does not have: it matches nothing
    (RFC 7644 §3.4.2.1, for searches over several resource types)."""


NO_MATCH = NoMatch()


def read_filter(
    model: type[Resource[Any]], expression: str, supported: frozenset[str], *, lenient: bool
) -> Equals | NoMatch:
    """Reads `expression` for `model`; raises InvalidFilterException naming what is wrong.

    `lenient` (a search over several resource types) turns an attribute the model lacks into
    NO_MATCH instead of an error."""
    try:
        parsed = ScimFilter[model](expression)  # type: ignore[valid-type]
    except ValidationError as exc:
        raise InvalidFilterException(detail=exc.errors()[0]["msg"], filter=expression) from exc
    except (SCIMException, ValueError) as exc:
        raise InvalidFilterException(detail=str(exc), filter=expression) from exc
    node = parsed.ast
    if not isinstance(node, Comparison) or node.op is not CompareOperator.eq:
        raise _unsupported(expression, supported)
    binding = parsed.resolve_comparison(node.attr_path, strict=False)
    if binding is None:
        if lenient:
            return NO_MATCH
        raise InvalidFilterException(
            detail=f"{node.attr_path} is not an attribute of {_resource_name(model)}",
            filter=expression,
        )
    if binding.sub_field_name is not None or binding.field_name not in supported:
        raise _unsupported(expression, supported)
    if not isinstance(node.value, str):
        raise InvalidFilterException(
            detail=f"{node.attr_path} compares with a string", filter=expression
        )
    return Equals(binding.field_name, node.value, binding.case_exact)


def _unsupported(expression: str, supported: frozenset[str]) -> InvalidFilterException:
    names = ", ".join(sorted(_camel(name) for name in supported))
    return InvalidFilterException(
        detail=f'unsupported filter {expression!r}: only `<attribute> eq "value"` on {names}',
        filter=expression,
    )


def _resource_name(model: type[Resource[Any]]) -> str:
    return str(model.__schema__).rsplit(":", 1)[-1]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


@dataclass(frozen=True)
class Page:
    offset: int
    limit: int


def page(start_index: int | None, count: int | None, max_results: int) -> Page:
    """RFC 7644 §3.4.2.4: startIndex is 1-based (below 1 reads as 1); count below 0 reads as
    0; no count, or more than the service allows, gives the service's maximum."""
    start = max(start_index or 1, 1)
    limit = max_results if count is None else min(max(count, 0), max_results)
    return Page(offset=start - 1, limit=limit)
