"""How every list crosses an API: Relay-style pages (edges with opaque cursors, whether more
follow, the total) and plain item lists, with the one page-size rule."""

from typing import Final, Generic, TypeVar

from pydantic import Field

from contracts.base import ContractModel

MAX_PAGE: Final = 100
DEFAULT_PAGE: Final = 20

T = TypeVar("T")
E = TypeVar("E")


class Edge(ContractModel, Generic[T]):
    cursor: str = Field(description="Opaque: pass as `after` for what follows this item")
    node: T


class Connection(ContractModel, Generic[E]):
    """One page of a longer list; `E` is `Edge[...]` or an edge that says more (its depth)."""

    edges: list[E]
    total_count: int
    has_next_page: bool


class Items(ContractModel, Generic[T]):
    """A whole (bounded) list, or what a batch lookup found (unknown keys left out)."""

    items: list[T]
