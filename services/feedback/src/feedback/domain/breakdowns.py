"""Tables of counts broken down by groups, built so suppression sees every way they relate.

Given counts by a combination of dimension values (e.g. participant x under-represented x
department x promoted), `breakdown` lays out every cell of every margin: each dimension is
either fixed to a value or summed over ("*"), so rows, columns and the grand total, every
sibling group and every filter (a dimension fixed while others are summed) are cells made of
the same atoms. A period dimension can also be published as running totals ("..2025-03":
everything through March), which is how a time series relates one period to the next.
Margins that are not published stay in the table as unpublished groups: they cannot be read,
but they must not leak by difference either.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations, product

from feedback.domain.suppression import Cell, CellKey, Relation, Table

TOTAL = "*"
THROUGH = ".."  # a running total's prefix: "..2025-03"


@dataclass(frozen=True, slots=True)
class Dimension:
    name: str
    values: tuple[str, ...]  # in display order; periods in time order
    running_totals: bool = False  # also publish "through this period" cells
    zero_safe: frozenset[str] = frozenset()  # values where 0 people is no one's secret

    def __post_init__(self) -> None:
        if not self.values:
            raise ValueError(f"dimension {self.name!r} has no values")
        if len(set(self.values)) != len(self.values):
            raise ValueError(f"dimension {self.name!r} lists a value twice")
        if any(v == TOTAL or v.startswith(THROUGH) for v in self.values):
            raise ValueError(f"dimension {self.name!r} uses a reserved value")
        if not self.zero_safe <= set(self.values):
            raise ValueError(f"dimension {self.name!r}: zero-safe values must be its values")


def breakdown(
    counts: Mapping[tuple[str, ...], int],
    dimensions: Sequence[Dimension],
    *,
    published: Iterable[frozenset[str]] | None = None,
    exempt: Iterable[CellKey] = (),
) -> Table:
    """`counts` by one value per dimension (missing combinations are 0); `published`: the
    sets of fixed dimensions whose cells are shown (default: every margin); `exempt`: cells
    shown whatever their size (program-wide operational figures)."""
    names = [d.name for d in dimensions]
    if len(set(names)) != len(names):
        raise ValueError("two dimensions share a name")
    for combo in counts:
        if len(combo) != len(dimensions) or any(
            v not in d.values for v, d in zip(combo, dimensions, strict=False)
        ):
            raise ValueError(f"counts name {combo}, which is not a value of each dimension")
    if not dimensions:
        raise ValueError("a breakdown needs at least one dimension")
    # Atoms in row-major order of the dimensions' values (the order of itertools.product).
    atoms = tuple(counts.get(combo, 0) for combo in product(*(d.values for d in dimensions)))
    shape = tuple(len(d.values) for d in dimensions)
    positions = [{v: i for i, v in enumerate(d.values)} for d in dimensions]
    shown = None if published is None else {frozenset(f) for f in published}
    exempt_keys = set(exempt)

    cells: dict[CellKey, Cell] = {}
    relations: list[Relation] = []
    for size in range(len(dimensions) + 1):
        for fixed in combinations(range(len(dimensions)), size):
            fixed_names = frozenset(names[i] for i in fixed)
            is_published = shown is None or fixed_names in shown
            for key in product(
                *((d.values if i in fixed else (TOTAL,)) for i, d in enumerate(dimensions))
            ):
                members = _members(key, dimensions, positions, shape)
                cells[key] = Cell(key, members, is_published, key in exempt_keys and is_published)
                for i in range(len(dimensions)):
                    if key[i] == TOTAL:
                        parts = tuple(_with(key, i, v) for v in dimensions[i].values)
                        relations.append(Relation(key, parts))
    for i, dimension in enumerate(dimensions):
        if dimension.running_totals:
            _add_running_totals(cells, relations, i, dimension)
    unknown = exempt_keys - cells.keys()
    if unknown:
        raise ValueError(f"exempt cells {sorted(unknown)} are not in the table")
    safe = frozenset(
        i
        for i, combo in enumerate(product(*(d.values for d in dimensions)))
        if any(v in d.zero_safe for v, d in zip(combo, dimensions, strict=True))
    )
    return Table(atoms, cells, tuple(relations), safe)


def _members(
    key: CellKey,
    dimensions: Sequence[Dimension],
    positions: Sequence[Mapping[str, int]],
    shape: tuple[int, ...],
) -> frozenset[int]:
    """The atoms of a cell: every combination that agrees with its fixed values (row-major
    atom numbers: the sum of each dimension's position times its stride)."""
    strides = [1] * len(shape)
    for i in range(len(shape) - 2, -1, -1):
        strides[i] = strides[i + 1] * shape[i + 1]
    offsets = [
        [p * strides[i] for p in (range(shape[i]) if key[i] == TOTAL else (positions[i][key[i]],))]
        for i in range(len(dimensions))
    ]
    return frozenset(sum(parts) for parts in product(*offsets))


def _with(key: CellKey, index: int, value: str) -> CellKey:
    return (*key[:index], value, *key[index + 1 :])


def _add_running_totals(
    cells: dict[CellKey, Cell], relations: list[Relation], index: int, dimension: Dimension
) -> None:
    """For every cell fixing this dimension: "through v" = "through the period before" + v."""
    first = dimension.values[0]
    for key in [k for k in cells if k[index] == first]:
        previous = key  # through the first period is the first period itself
        for value in dimension.values[1:]:
            period = cells[_with(key, index, value)]
            through = _with(key, index, THROUGH + value)
            cells[through] = Cell(through, cells[previous].atoms | period.atoms, period.published)
            relations.append(Relation(through, (previous, period.key)))
            previous = through
