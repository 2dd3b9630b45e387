"""What a query costs, computed from its parsed document before anything runs: GitHub's
node-limit model, so a query is refused for what it asks, not for what it happened to find.

- a connection costs its `first` (the default page when absent): the nodes it may answer; its
  `edges` and their `node` are those nodes, not more; its `pageInfo` is one object;
- a list of objects costs its `first` when it takes one, else its size in `LIST_SIZES`, else
  `ASSUMED_LIST_SIZE`, each item one object plus what is selected in it;
- a plain object field costs 1; scalars and enums cost nothing;
- nested lists multiply: what is selected inside a list or a connection is paid once per item.

Fragments and inline fragments are counted where they are spread, every time they are (each
named fragment is costed once and then multiplied, so a fragment spread in many places costs
no more work to cost). `@skip`/`@include` are ignored: the cost is what the query may ask."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from contracts.pages import DEFAULT_PAGE, MAX_PAGE
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLCompositeType,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_argument_values,
    get_named_type,
    get_operation_ast,
    get_variable_values,
)
from graphql.execution.values import VariableValues
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef

# A list that takes no `first` (a person's history, their managers, a match's mentees, …):
# how many items it is assumed to hold.
ASSUMED_LIST_SIZE: Final = 10
SIZE_ARGUMENT: Final = "first"
# Lists without `first` that are usually longer than that: (type, field) → assumed size.
LIST_SIZES: Final[dict[tuple[str, str], int]] = {
    ("Match", "sessions"): 26,  # a series: a year of fortnightly sessions
}


class CostUnknown(Exception):
    """The request cannot be costed as sent (no such operation, variables of the wrong type):
    execution refuses it the same way before anything is resolved."""


def query_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> int:
    """The cost of the operation the request names, with its variables (raw, as sent)."""
    operation = get_operation_ast(document, operation_name)
    root = _root_type(schema, operation) if operation else None
    if operation is None or root is None:
        raise CostUnknown("no such operation")
    coerced = get_variable_values(
        schema, operation.variable_definitions or (), dict(variables or {}), max_errors=1
    )
    if isinstance(coerced, list):
        raise CostUnknown(coerced[0].message)
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    try:
        return _Costing(schema, fragments, coerced).selections(root, operation.selection_set)
    except RecursionError as exc:  # deeper than any query the depth limit lets through
        raise CostUnknown("nested too deeply to cost") from exc


def _root_type(
    schema: GraphQLSchema, operation: OperationDefinitionNode
) -> GraphQLObjectType | None:
    return {
        OperationType.QUERY: schema.query_type,
        OperationType.MUTATION: schema.mutation_type,
        OperationType.SUBSCRIPTION: schema.subscription_type,
    }[operation.operation]


# Where a selection set sits, for the fields of connections and edges: the connection's page
# (≥ 0: its `edges` are that many), inside an edge (its `node` was paid for by the
# connection), or anywhere else.
_PLAIN: Final = None
_IN_EDGE: Final = -1


@dataclass
class _Costing:
    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    variables: VariableValues
    _fragment_costs: dict[tuple[str, int | None], int] = field(default_factory=dict)

    def selections(
        self,
        parent: GraphQLCompositeType,
        selection_set: SelectionSetNode,
        within: int | None = _PLAIN,
    ) -> int:
        """The cost of one resolution of `selection_set` on `parent`; `within` is the page of
        the connection it belongs to, or _IN_EDGE, or _PLAIN."""
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self._field(parent, selection, within)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                on = self._composite(condition.name.value) if condition else parent
                total += self.selections(on, selection.selection_set, within)
            elif isinstance(selection, FragmentSpreadNode):
                total += self._fragment(selection.name.value, within)
        return total

    def _fragment(self, name: str, within: int | None) -> int:
        key = (name, within)
        if key not in self._fragment_costs:
            definition = self.fragments.get(name)
            if definition is None:  # validation refuses it; nothing to pay for
                return 0
            self._fragment_costs[key] = 0  # a cycle (validation refuses those too) ends here
            on = self._composite(definition.type_condition.name.value)
            self._fragment_costs[key] = self.selections(on, definition.selection_set, within)
        return self._fragment_costs[key]

    def _field(self, parent: GraphQLCompositeType, node: FieldNode, within: int | None) -> int:
        definition = self._definition(parent, node.name.value)
        if definition is None:
            return 0
        of = get_named_type(definition.type)
        if not isinstance(of, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType):
            return 0  # scalars and enums
        children = node.selection_set
        if children is None:  # validation refuses an object without a selection
            return 0
        name = node.name.value
        if within is not None and within >= 0 and name == "edges":
            # A connection's nodes, paid for by the connection.
            return within * self.selections(of, children, _IN_EDGE)
        if within == _IN_EDGE and name == "node":
            return self.selections(of, children)
        if _is_connection(of):
            page = self._size(definition, node, DEFAULT_PAGE)
            return page + self.selections(of, children, page)
        if _is_list(definition.type):
            assumed = LIST_SIZES.get((parent.name, name), ASSUMED_LIST_SIZE)
            size = self._size(definition, node, assumed)
            return size * (1 + self.selections(of, children))
        return 1 + self.selections(of, children)

    def _size(self, definition: GraphQLField, node: FieldNode, otherwise: int) -> int:
        """The field's `first`, within what any list may answer; `otherwise` when it takes
        none. An explicit null is the default page, as the resolvers take it."""
        if SIZE_ARGUMENT not in definition.args:
            return otherwise
        try:
            asked = get_argument_values(definition, node, self.variables).get(SIZE_ARGUMENT)
        except GraphQLError as exc:
            raise CostUnknown(exc.message) from exc
        if asked is None:
            default = definition.args[SIZE_ARGUMENT].default_value
            asked = default if isinstance(default, int) else DEFAULT_PAGE
        # Beyond MAX_PAGE the resolver refuses the size itself (BAD_USER_INPUT).
        return min(max(int(asked), 0), MAX_PAGE)

    def _definition(self, parent: GraphQLCompositeType, name: str) -> GraphQLField | None:
        if name == "__schema":
            return SchemaMetaFieldDef if parent is self.schema.query_type else None
        if name == "__type":
            return TypeMetaFieldDef if parent is self.schema.query_type else None
        if isinstance(parent, GraphQLUnionType):
            return None  # only __typename, a scalar
        found: GraphQLField | None = parent.fields.get(name)
        return found

    def _composite(self, name: str) -> GraphQLCompositeType:
        found = self.schema.get_type(name)
        if not isinstance(found, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType):
            raise CostUnknown(f"unknown type {name}")
        return found


def _is_list(of: GraphQLOutputType) -> bool:
    inner = of.of_type if isinstance(of, GraphQLNonNull) else of
    return isinstance(inner, GraphQLList)


def _is_connection(of: GraphQLCompositeType) -> bool:
    """A Relay connection: `edges`, a list of objects that each have a `node`."""
    if isinstance(of, GraphQLUnionType):
        return False
    edges = of.fields.get("edges")
    if edges is None or not _is_list(edges.type):
        return False
    edge = get_named_type(edges.type)
    return isinstance(edge, GraphQLObjectType) and "node" in edge.fields
