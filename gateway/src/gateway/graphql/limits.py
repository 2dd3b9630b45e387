"""The limits every GraphQL request runs under (settings `GATEWAY_GRAPHQL_*`, read once per
request into its context), and the cost budget: a query that costs more than it may is refused
once parsed (within the token limit), before it is validated, resolved or any service called."""

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from graphql import DocumentNode, GraphQLError, GraphQLSchema
from strawberry.extensions import SchemaExtension

from gateway.access.errors import Throttled
from gateway.graphql.cost import CostUnknown, query_cost
from gateway.graphql.errors import QueryTooComplex

log = logging.getLogger(__name__)

DEFAULT_MAX_COST: Final = 10_000
DEFAULT_DEADLINE_S: Final = 10.0
DEFAULT_TENANT_CONCURRENCY: Final = 8
DEFAULT_TENANT_QUEUE_S: Final = 1.0
DEFAULT_REFUSAL_HOLD_S: Final = 1.0


@dataclass(frozen=True)
class QueryLimits:
    max_cost: int = DEFAULT_MAX_COST  # the most one query may cost (see `cost`)
    deadline_s: float = DEFAULT_DEADLINE_S  # then its work is cancelled: UNAVAILABLE
    tenant_concurrency: int = DEFAULT_TENANT_CONCURRENCY  # a tenant's queries running at once
    tenant_queue_s: float = DEFAULT_TENANT_QUEUE_S  # how long one waits for a turn: RATE_LIMITED
    # A query refused for its cost keeps its turn this long after the answer: a tenant sending
    # such queries back to back gets `tenant_concurrency` refusals a second, then waits, so
    # parsing them cannot take the gateway's CPU from other tenants.
    refusal_hold_s: float = DEFAULT_REFUSAL_HOLD_S


class CostBudget(SchemaExtension):
    """Costs the parsed document before it is validated (validating the cost bomb of issue 9
    takes twenty times longer than costing it): a query over its budget is refused on its cost
    alone, and the rest of validation (depth, aliases, the GraphQL rules) runs only for queries
    within it. Every answer whose query could be costed reports it (`extensions.cost`)."""

    def __init__(self) -> None:
        self.cost: int | None = None
        self.budget = DEFAULT_MAX_COST

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        limits = getattr(context.context, "limits", None)
        if isinstance(limits, QueryLimits):
            self.budget = limits.max_cost
        if context.graphql_document is not None:
            error = self.check(context.schema._schema, context.graphql_document)
            if error is not None:
                # Strawberry skips validation when errors are already there, and answers them.
                context.pre_execution_errors = [error]
        yield

    def get_results(self) -> dict[str, Any]:
        if self.cost is None:
            return {}
        cost: dict[str, Any] = {"requestedQueryCost": self.cost, "budget": self.budget}
        meter = getattr(self.execution_context.context, "meter", None)
        if meter is not None:  # the caller's points budget (gateway.access.budgets)
            status = meter.current()
            cost |= {
                "requested": status.requested,
                "remaining": status.remaining,
                "resetAt": datetime.fromtimestamp(status.reset_at, UTC).isoformat(),
            }
        return {"cost": cost}

    def check(self, schema: GraphQLSchema, document: DocumentNode) -> GraphQLError | None:
        context = self.execution_context
        try:
            self.cost = query_cost(schema, document, context.operation_name, context.variables)
        except CostUnknown as exc:
            # Validation or execution refuses such a request itself, before resolving anything.
            log.info("query not costed: %s", exc)
            return None
        if self.cost <= self.budget:
            return self._charged(self.cost)
        return QueryTooComplex(
            f"the query costs {self.cost}, more than the {self.budget} one query may cost: "
            "ask for smaller pages (first) or fewer nested lists",
            cost=self.cost,
            budget=self.budget,
        )

    def _charged(self, cost: int) -> GraphQLError | None:
        """Spend the cost from the caller's points budget, if the request has one."""
        meter = getattr(self.execution_context.context, "meter", None)
        if meter is None:
            return None
        status = meter.charge(cost)
        if not status.throttled:
            return None
        return Throttled(
            f"this query costs {status.requested} points and {status.remaining} of "
            f"{status.limit} are left; retry in {status.retry_after_s} s",
            cost=status.requested,
            retryAfter=status.retry_after_s,
        )
