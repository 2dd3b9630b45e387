"""Subscriptions over websockets (graphql-transport-ws), queries and mutations over HTTP: there
each runs in a turn of its tenant and within its deadline (`gateway.graphql.turns`, in the
route), which one sent over a websocket would escape; and a subscription over HTTP would have
nowhere to stream its events."""

from collections.abc import Iterator

from graphql import OperationType, get_operation_ast
from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.extensions import SchemaExtension

from gateway.graphql.errors import BadUserInput


class OperationsByTransport(SchemaExtension):
    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        request = getattr(context.context, "request", None)
        document = context.graphql_document
        operation = (
            get_operation_ast(document, context.operation_name) if document is not None else None
        )
        subscription = operation is not None and operation.operation is OperationType.SUBSCRIPTION
        refusal = None
        if isinstance(request, WebSocket) and operation is not None and not subscription:
            refusal = "send queries and mutations over HTTP; websockets carry subscriptions"
        elif isinstance(request, Request) and subscription:
            refusal = "subscribe over a websocket (graphql-transport-ws) on this path"
        if refusal is not None:
            context.pre_execution_errors = [
                *(context.pre_execution_errors or []),
                BadUserInput(refusal),
            ]
        yield
