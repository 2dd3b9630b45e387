"""The limits every GraphQL request runs under (settings `GATEWAY_GRAPHQL_*`, read once per
request into its context), and the cost budget: a query that costs more than it may is refused
while the document is validated, before anything is resolved or any service is called."""

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from graphql import DocumentNode, GraphQLError, GraphQLSchema, ValidationRule
from strawberry.extensions import SchemaExtension

from gateway.graphql.cost import CostUnknown, query_cost
from gateway.graphql.errors import QueryTooComplex

log = logging.getLogger(__name__)

DEFAULT_MAX_COST: Final = 10_000
DEFAULT_DEADLINE_S: Final = 10.0
DEFAULT_TENANT_CONCURRENCY: Final = 8
DEFAULT_TENANT_QUEUE_S: Final = 1.0


@dataclass(frozen=True)
class QueryLimits:
    max_cost: int = DEFAULT_MAX_COST  # the most one query may cost (see `cost`)
    deadline_s: float = DEFAULT_DEADLINE_S  # then its work is cancelled: UNAVAILABLE
    tenant_concurrency: int = DEFAULT_TENANT_CONCURRENCY  # a tenant's queries running at once
    tenant_queue_s: float = DEFAULT_TENANT_QUEUE_S  # how long one waits for a turn: RATE_LIMITED


class CostBudget(SchemaExtension):
    """Adds the cost rule to validation (after the depth, alias and token limits), and reports
    the requested cost on every answer it could compute it for (`extensions.cost`)."""

    def __init__(self) -> None:
        self.cost: int | None = None
        self.budget = DEFAULT_MAX_COST

    def on_operation(self) -> Iterator[None]:
        limits = getattr(self.execution_context.context, "limits", None)
        if isinstance(limits, QueryLimits):
            self.budget = limits.max_cost
        self.execution_context.validation_rules = (
            *self.execution_context.validation_rules,
            self._rule(),
        )
        yield

    def get_results(self) -> dict[str, Any]:
        if self.cost is None:
            return {}
        return {"cost": {"requestedQueryCost": self.cost, "budget": self.budget}}

    def _rule(self) -> type[ValidationRule]:
        budget = self

        class CostRule(ValidationRule):
            def leave_document(self, node: DocumentNode, *_: Any) -> None:
                error = budget.check(self.context.schema, node)
                if error is not None:
                    self.report_error(error)

        return CostRule

    def check(self, schema: GraphQLSchema, document: DocumentNode) -> GraphQLError | None:
        context = self.execution_context
        try:
            self.cost = query_cost(schema, document, context.operation_name, context.variables)
        except CostUnknown as exc:
            # Execution refuses such a request itself, before resolving anything.
            log.info("query not costed: %s", exc)
            return None
        if self.cost <= self.budget:
            return None
        return QueryTooComplex(
            f"the query costs {self.cost}, more than the {self.budget} one query may cost: "
            "ask for smaller pages (first) or fewer nested lists",
            cost=self.cost,
            budget=self.budget,
        )
