"""Text no database can store, refused when a query spells it in a string literal
(`name: "a\\u0000b"`): the JSON body around it is clean, so `runtime.storable_text` never sees
it, and it reached the gateway's own PostgreSQL tables as a 500. Variables are JSON, checked
where the body is read."""

from collections.abc import Iterator
from typing import Any

from contracts.text import unstorable_reason
from graphql import ArgumentNode, ObjectFieldNode, StringValueNode, Visitor, visit
from strawberry.extensions import SchemaExtension

from gateway.graphql.errors import BadUserInput


class _FirstUnstorable(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []
        self.found: str | None = None

    def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
        self.names.append(node.name.value)

    def leave_argument(self, *_: Any) -> None:
        self.names.pop()

    def enter_object_field(self, node: ObjectFieldNode, *_: Any) -> None:
        self.names.append(node.name.value)

    def leave_object_field(self, *_: Any) -> None:
        self.names.pop()

    def enter_string_value(self, node: StringValueNode, *_: Any) -> Any:
        reason = unstorable_reason(node.value)
        if reason is not None and self.found is None:
            self.found = f"{'.'.join(self.names) or 'a string in the query'}: {reason}"
            return Visitor.BREAK
        return None


class StorableTextLiterals(SchemaExtension):
    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None:
            visitor = _FirstUnstorable()
            visit(context.graphql_document, visitor)
            if visitor.found is not None:
                context.pre_execution_errors = [
                    *(context.pre_execution_errors or []),
                    BadUserInput(visitor.found),
                ]
        yield
