"""Small-group suppression under attack: on hand-made and random tables, every subtraction a
reader could try (a total minus its shown parts, one period minus another, one filter minus a
narrower one) and an exact linear-algebra attacker (rational arithmetic, written here apart
from the code under test) recover no hidden cell and no group of fewer than k people."""

from __future__ import annotations

import os
from fractions import Fraction
from itertools import product

import pytest
from feedback.domain.breakdowns import TOTAL, Dimension, breakdown
from feedback.domain.suppression import (
    Cell,
    CellKey,
    Relation,
    Suppression,
    SuppressionRule,
    Table,
    suppress,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

K = 5


class RowSpace:
    """Exact span of 0/1 vectors over the rationals (reduced row echelon form)."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.pivots: list[tuple[int, list[Fraction]]] = []

    def reduce(self, vector: list[Fraction]) -> list[Fraction]:
        v = list(vector)
        for column, row in self.pivots:
            if v[column]:
                factor = v[column]
                v = [a - factor * b for a, b in zip(v, row, strict=True)]
        return v

    def add(self, atoms: frozenset[int]) -> None:
        v = self.reduce([Fraction(int(i in atoms)) for i in range(self.width)])
        column = next((i for i, a in enumerate(v) if a), None)
        if column is None:
            return
        row = [a / v[column] for a in v]
        self.pivots = [
            (c, [a - r[column] * b for a, b in zip(r, row, strict=True)] if r[column] else r)
            for c, r in self.pivots
        ]
        self.pivots.append((column, row))

    def contains(self, atoms: frozenset[int]) -> bool:
        return not any(self.reduce([Fraction(int(i in atoms)) for i in range(self.width)]))


def attacker(result: Suppression) -> tuple[RowSpace, RowSpace]:
    """What a reader can compute from the shown cells, and from the exempt ones alone."""
    width = len(result.table.atoms)
    shown, exempt = RowSpace(width), RowSpace(width)
    for key, cell in result.table.cells.items():
        if result.shown(key):
            shown.add(cell.atoms)
        if cell.exempt:
            exempt.add(cell.atoms)
    return shown, exempt


def size(result: Suppression, atoms: frozenset[int]) -> int:
    return sum(result.table.atoms[a] for a in atoms)


def assert_nothing_leaks(result: Suppression, k: int = K) -> None:
    table, cells = result.table, result.table.cells
    shown, exempt = attacker(result)

    def small(people: int, atoms: frozenset[int]) -> bool:
        # Nobody in a "did not state" group is no one's secret.
        return people < k and not (people == 0 and atoms <= table.zero_safe)

    def leaks(atoms: frozenset[int]) -> bool:
        """A group the reader can size, that is small, and not an operational figure."""
        people = size(result, atoms)
        return (
            bool(atoms)
            and small(people, atoms)
            and shown.contains(atoms)
            and not exempt.contains(atoms)
        )

    # Primary: every published cell about fewer than k people is hidden.
    for key, cell in cells.items():
        if cell.published and not cell.exempt and small(table.value(key), cell.atoms):
            assert not result.shown(key), f"{key} shows {table.value(key)} people"
    # No hidden cell is recoverable by any linear combination of shown ones.
    for key in result.hidden:
        assert not shown.contains(cells[key].atoms) or exempt.contains(cells[key].atoms), key
    # Total - the shown parts: never one hidden part, never a small remainder.
    for relation in table.relations:
        if not result.shown(relation.total):
            if all(result.shown(p) for p in relation.parts):  # the total is recovered
                total = cells[relation.total]
                assert not total.published or exempt.contains(total.atoms), relation
                assert not leaks(total.atoms), relation
            continue
        unshown = [p for p in relation.parts if not result.shown(p)]
        remainder = table.value(relation.total) - sum(
            table.value(p) for p in relation.parts if result.shown(p)
        )
        atoms = frozenset().union(*(cells[p].atoms for p in unshown)) if unshown else frozenset()
        if len(unshown) == 1:
            assert not cells[unshown[0]].published or exempt.contains(atoms), relation
        if unshown:
            assert not leaks(atoms), f"{relation.total} - shown parts = {remainder}"
    # Period - period, filter - filter: any two nested shown cells.
    shown_keys = [k for k in cells if result.shown(k)]
    for outer, inner in product(shown_keys, shown_keys):
        a, b = cells[outer].atoms, cells[inner].atoms
        if b < a:
            difference = a - b
            assert not leaks(difference), f"{outer} - {inner} = {size(result, difference)}"
            for key in result.hidden:
                if cells[key].atoms == difference:
                    assert exempt.contains(difference), f"{outer} - {inner} recovers {key}"
    # Every atom and every group in the table, published or not.
    for atom in range(len(table.atoms)):
        assert not leaks(frozenset({atom})), f"atom {atom}"
    for key, cell in cells.items():
        if not result.shown(key):
            assert not leaks(cell.atoms), key


def one_dimension(values: dict[str, int], **kw: object) -> Suppression:
    dimension = Dimension("department", tuple(values))
    table = breakdown({(v,): n for v, n in values.items()}, [dimension], **kw)  # type: ignore[arg-type]
    return suppress(table, SuppressionRule(k=K))


def test_feedback_a_small_group_hides_its_next_smallest_sibling() -> None:
    result = one_dimension({"Legal": 3, "Sales": 10, "Ops": 12})
    assert result.primary == {("Legal",)}
    assert result.secondary == {("Sales",)}  # else total - Sales - Ops = Legal
    assert result.value((TOTAL,)) == 25 and result.value(("Ops",)) == 12
    assert_nothing_leaks(result)


def test_feedback_two_small_groups_do_not_show_as_their_sum() -> None:
    # Legal and HR hidden (2 each): total - Ops would show a group of 4.
    result = one_dimension({"Legal": 2, "HR": 2, "Ops": 20})
    assert result.primary == {("Legal",), ("HR",)}
    assert ("Ops",) in result.hidden
    assert_nothing_leaks(result)


def test_feedback_a_rate_needs_both_its_count_and_its_complement() -> None:
    dims = [Dimension("group", ("participants",)), Dimension("promoted", ("yes", "no"))]
    result = suppress(breakdown({("participants", "yes"): 0, ("participants", "no"): 6}, dims))
    assert result.rate(("participants", "yes"), ("participants", "no")) is None  # 0 of 6
    assert not result.shown(("participants", "no"))  # else 6 - 6 recovers the 0
    assert result.value(("participants", TOTAL)) == 6  # the sibling is hidden, not the total
    assert_nothing_leaks(result)
    fine = suppress(breakdown({("participants", "yes"): 5, ("participants", "no"): 7}, dims))
    assert fine.rate(("participants", "yes"), ("participants", "no")) == pytest.approx(5 / 12)
    thin = suppress(breakdown({("participants", "yes"): 4, ("participants", "no"): 70}, dims))
    assert thin.rate(("participants", "yes"), ("participants", "no")) is None


def test_feedback_one_period_minus_another_does_not_recover_a_month() -> None:
    months = Dimension("month", ("2025-01", "2025-02", "2025-03"), running_totals=True)
    table = breakdown({("2025-01",): 10, ("2025-02",): 3, ("2025-03",): 10}, [months])
    result = suppress(table)
    assert not result.shown(("2025-02",))
    # Through February minus January would be February: one of them is hidden too.
    assert not (result.shown(("..2025-02",)) and result.shown(("2025-01",)))
    assert_nothing_leaks(result)


def test_feedback_a_group_of_four_never_shows_alone_or_by_difference() -> None:
    dims = [
        Dimension("department", ("Sales", "Legal", "Ops")),
        Dimension("underrepresented", ("yes", "no")),
    ]
    counts = {
        ("Sales", "yes"): 4,
        ("Sales", "no"): 30,
        ("Legal", "yes"): 12,
        ("Legal", "no"): 9,
        ("Ops", "yes"): 8,
        ("Ops", "no"): 15,
    }
    result = suppress(breakdown(counts, dims))
    assert not result.shown(("Sales", "yes"))
    assert_nothing_leaks(result)
    shown_values = {result.value(k) for k in result.table.cells if result.shown(k)}
    assert 4 not in shown_values


def test_feedback_nobody_in_did_not_state_is_no_ones_secret() -> None:
    dims = [
        Dimension("role", ("MENTEE",)),
        Dimension("underrepresented", ("yes", "no", "unknown"), zero_safe=frozenset({"unknown"})),
    ]
    counts = {("MENTEE", "yes"): 7, ("MENTEE", "no"): 30, ("MENTEE", "unknown"): 0}
    result = suppress(breakdown(counts, dims, exempt=[("MENTEE", TOTAL), (TOTAL, TOTAL)]))
    assert result.rate(("MENTEE", "yes"), ("MENTEE", "no")) == pytest.approx(7 / 37)
    assert result.value(("MENTEE", "unknown")) == 0
    assert_nothing_leaks(result)
    # Two who did not state are a small group: now the shares would give them away.
    counts[("MENTEE", "unknown")] = 2
    result = suppress(breakdown(counts, dims, exempt=[("MENTEE", TOTAL), (TOTAL, TOTAL)]))
    assert result.rate(("MENTEE", "yes"), ("MENTEE", "no")) is None
    assert_nothing_leaks(result)


def test_feedback_operational_figures_are_shown_as_they_are() -> None:
    result = one_dimension({"Legal": 3, "Sales": 1}, exempt=[(TOTAL,)])
    assert result.value((TOTAL,)) == 4  # the program-wide figure, though small
    assert result.hidden == {("Legal",), ("Sales",)}
    assert_nothing_leaks(result)


def test_feedback_bad_tables_are_refused() -> None:
    with pytest.raises(ValueError, match="fewer than 0"):
        Table((-1,), {})
    with pytest.raises(ValueError, match="atom"):
        Table((1,), {("a",): Cell(("a",), frozenset({3}))})
    with pytest.raises(ValueError, match="relation"):
        Table((1,), {("a",): Cell(("a",), frozenset({0}))}, (Relation(("a",), (("b",),)),))
    overlapping = {
        ("t",): Cell(("t",), frozenset({0, 1})),
        ("a",): Cell(("a",), frozenset({0})),
        ("b",): Cell(("b",), frozenset({0, 1})),
    }
    with pytest.raises(ValueError, match="do not add up"):
        Table((1, 2), overlapping, (Relation(("t",), (("a",), ("b",))),))
    with pytest.raises(ValueError, match="not a value"):
        breakdown({("Nowhere",): 3}, [Dimension("department", ("Sales",))])
    with pytest.raises(ValueError, match="not in the table"):
        breakdown({("Sales",): 3}, [Dimension("department", ("Sales",))], exempt=[("Ops",)])
    with pytest.raises(ValueError, match="at least 1"):
        SuppressionRule(k=0)


sizes = st.integers(0, 14) | st.integers(0, 4)  # plenty of small groups


@st.composite
def tables(draw: st.DrawFn) -> tuple[Table, SuppressionRule]:
    shape = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    dims = [
        Dimension(
            f"d{i}",
            tuple(f"v{j}" for j in range(n)),
            running_totals=i == 0 and draw(st.booleans()),
            zero_safe=frozenset({f"v{n - 1}"}) if n > 1 and draw(st.booleans()) else frozenset(),
        )
        for i, n in enumerate(shape)
    ]
    combos = list(product(*(d.values for d in dims)))
    counts = {c: draw(sizes) for c in combos}
    margins = [
        frozenset(d.name for j, d in enumerate(dims) if mask >> j & 1)
        for mask in range(2 ** len(dims))
    ]
    published = draw(st.none() | st.lists(st.sampled_from(margins), min_size=1, unique=True))
    exempt = (
        [tuple(TOTAL for _ in dims)]
        if draw(st.booleans()) and (published is None or frozenset() in published)
        else []
    )
    rule = SuppressionRule(k=K, zero_is_small=draw(st.booleans()))
    return breakdown(counts, dims, published=published, exempt=exempt), rule


# FEEDBACK_EXAMPLES=5000 for a long local run; the default keeps the suite fast.
@settings(
    max_examples=int(os.environ.get("FEEDBACK_EXAMPLES", "120")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(tables())
def test_feedback_no_subtraction_recovers_a_suppressed_cell(
    case: tuple[Table, SuppressionRule],
) -> None:
    table, rule = case
    result = suppress(table, rule)
    if rule.zero_is_small:
        assert_nothing_leaks(result)
    else:
        # Zeros may show; everything else still holds for groups of 1..k-1.
        assert_nothing_leaks_but_zeros(result)


def assert_nothing_leaks_but_zeros(result: Suppression) -> None:
    shown, exempt = attacker(result)
    cells = result.table.cells
    for key, cell in cells.items():
        people = result.table.value(key)
        if cell.published and not cell.exempt and 0 < people < K:
            assert not result.shown(key)
        if 0 < people < K:
            assert not shown.contains(cell.atoms) or exempt.contains(cell.atoms), key
    for key in result.hidden:
        assert not shown.contains(cells[key].atoms) or exempt.contains(cells[key].atoms), key
    for atom, people in enumerate(result.table.atoms):
        if 0 < people < K:
            assert not shown.contains(frozenset({atom})) or exempt.contains(frozenset({atom}))


def test_feedback_hidden_cells_record_why() -> None:
    result = one_dimension({"Legal": 3, "Sales": 10, "Ops": 12})
    ((key, leak),) = result.leaks
    assert key == ("Sales",) and "Legal" in leak.what and leak.people == 3


def test_feedback_cell_keys_are_tuples() -> None:
    key: CellKey = ("Sales",)
    assert one_dimension({"Sales": 9, "Ops": 9}).value(key) == 9
