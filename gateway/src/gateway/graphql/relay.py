"""Relay-style pages as the public API shows them: `XConnection` (edges, pageInfo, totalCount)
of `XEdge` (node, cursor), built from a service's `contracts.pages.Connection`, under the one
page-size rule (`runtime.pages.page_size`). Cursors are the services' own, passed through."""

from collections.abc import Callable
from typing import Any, Generic, TypeVar

import strawberry
from contracts.pages import DEFAULT_PAGE
from contracts.pages import Connection as ConnectionView
from contracts.pages import Edge as EdgeView
from runtime.pages import page_size as checked_page_size
from runtime.refusals import Refused

from gateway.graphql.errors import BadUserInput

__all__ = ["DEFAULT_PAGE", "Connection", "Edge", "PageInfo", "connection", "page_info", "page_size"]

N = TypeVar("N")
V = TypeVar("V")
E = TypeVar("E", bound=EdgeView[Any])


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


# Generic: Strawberry names `Edge[Person]` PersonEdge and `Connection[Person]` PersonConnection.
@strawberry.type
class Edge(Generic[N]):
    node: N
    cursor: str


@strawberry.type
class Connection(Generic[N]):
    edges: list[Edge[N]]
    page_info: PageInfo
    total_count: int

    @classmethod
    def empty(cls) -> "Connection[N]":
        return cls(
            edges=[], page_info=PageInfo(has_next_page=False, end_cursor=None), total_count=0
        )


def page_info(page: ConnectionView[E]) -> PageInfo:
    return PageInfo(
        has_next_page=page.has_next_page,
        end_cursor=page.edges[-1].cursor if page.edges else None,
    )


def connection(page: ConnectionView[EdgeView[V]], node: Callable[[V], N]) -> Connection[N]:
    """A service's page as the public connection, each node shown as `node` makes it."""
    return Connection(
        edges=[Edge(node=node(edge.node), cursor=edge.cursor) for edge in page.edges],
        page_info=page_info(page),
        total_count=page.total_count,
    )


def page_size(first: int | None) -> int:
    """`first` as asked (None: the default page), or BAD_USER_INPUT naming `first`."""
    try:
        return checked_page_size(first)
    except Refused as refused:
        raise BadUserInput(f"first {refused.message}", field="first") from refused
