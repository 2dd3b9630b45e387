"""Small-group suppression that cannot be undone by subtraction.

A table is a set of published figures, each a count of people: a cell is a union of
*atoms*, the finest groups (e.g. participants x under-represented x department x promoted), so
every relation between figures (a total and its parts, one period and the next, one filter
and a narrower one) is visible as set arithmetic on atoms.

Rules, with `k` (default 5):
1. primary: a cell about fewer than k people is hidden. 0 counts as fewer ("0 of 6 promoted"
   tells something about all six), except for groups marked zero-safe ("did not state"). A
   rate is shown only when both its count and its complement are shown cells, so both reach k.
2. complementary: hide more cells until
   (a) no hidden cell is determined by the shown ones (exact: its atoms are not a linear
       combination of shown cells; this covers every chain of subtractions);
   (b) no group of fewer than k people is determined either: no atom, no cell (published or
       not), no remainder of a known total once its shown parts are taken away ("total - the
       shown siblings"), no difference of two nested shown cells ("period - period",
       "filter - filter").
   The cell hidden for a leak is the smallest sibling that makes the hidden group reach k
   (else the largest) where it leaks by one subtraction, else among the shown cells it is
   computed from. Leaks next to a cell hidden in the same round wait for the next round.
   Repeat until nothing leaks.
3. exempt cells (program-wide operational figures) are always shown, and a group they
   determine on their own is not a leak: it is an operational figure itself.

Not claimed: bounds from non-negativity (two hidden cells known to add up to 12 are each at
most 12), and unions of several cells that are neither a cell, a remainder nor a difference
of nested cells. Suppression is greedy, not minimal (the minimal pattern is NP-hard).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

CellKey = tuple[str, ...]
_TOLERANCE = 1e-7


@dataclass(frozen=True, slots=True)
class Cell:
    key: CellKey
    atoms: frozenset[int]
    published: bool = True  # False: a group that exists but is not shown (it can still leak)
    exempt: bool = False  # an operational figure: always shown


@dataclass(frozen=True, slots=True)
class Relation:
    """`total` is the sum of `parts` (disjoint cells)."""

    total: CellKey
    parts: tuple[CellKey, ...]


@dataclass(frozen=True, slots=True)
class Table:
    atoms: tuple[int, ...]  # people in each finest group
    cells: Mapping[CellKey, Cell]
    relations: tuple[Relation, ...] = ()
    # Atoms where nobody says nothing about anyone (e.g. "did not state"): a group made of
    # them alone may show 0.
    zero_safe: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        if any(n < 0 for n in self.atoms):
            raise ValueError("a group cannot hold fewer than 0 people")
        for cell in self.cells.values():
            if any(not 0 <= a < len(self.atoms) for a in cell.atoms):
                raise ValueError(f"cell {cell.key} names an atom the table does not have")
            if cell.exempt and not cell.published:
                raise ValueError(f"cell {cell.key} is exempt, so it must be published")
        for relation in self.relations:
            missing = [k for k in (relation.total, *relation.parts) if k not in self.cells]
            if missing:
                raise ValueError(f"a relation names cells the table does not have: {missing}")
            parts = [self.cells[p].atoms for p in relation.parts]
            total = self.cells[relation.total].atoms
            if sum(map(len, parts)) != len(total) or frozenset().union(*parts) != total:
                raise ValueError(f"the parts of {relation.total} do not add up to it")

    def value(self, key: CellKey) -> int:
        return sum(self.atoms[a] for a in self.cells[key].atoms)

    def small(self, rule: SuppressionRule, people: int, atoms: frozenset[int]) -> bool:
        """Whether a group of `people` made of `atoms` is too small to show."""
        if people == 0 and atoms and atoms <= self.zero_safe:
            return False
        return rule.small(people)


@dataclass(frozen=True, slots=True)
class SuppressionRule:
    k: int = 5
    zero_is_small: bool = True

    def __post_init__(self) -> None:
        if self.k < 1:
            raise ValueError("the minimum group size k is at least 1")

    def small(self, people: int) -> bool:
        return people < self.k and (self.zero_is_small or people > 0)


@dataclass(frozen=True, slots=True)
class Leak:
    """Why a cell was hidden in a round: what would have leaked, and its size."""

    what: str
    people: int


@dataclass(frozen=True, slots=True)
class Suppression:
    table: Table
    rule: SuppressionRule
    primary: frozenset[CellKey]
    secondary: frozenset[CellKey]
    leaks: tuple[tuple[CellKey, Leak], ...] = field(default=())  # each secondary cell's reason

    @property
    def hidden(self) -> frozenset[CellKey]:
        return self.primary | self.secondary

    def shown(self, key: CellKey) -> bool:
        cell = self.table.cells[key]
        return cell.published and key not in self.hidden

    def value(self, key: CellKey) -> int | None:
        return self.table.value(key) if self.shown(key) else None

    def rate(self, events: CellKey, non_events: CellKey) -> float | None:
        """events ÷ (events + non-events), only when both are shown (so both reach k)."""
        a, b = self.value(events), self.value(non_events)
        if a is None or b is None or a + b == 0:
            return None
        return a / (a + b)


def _factor(
    rows: npt.NDArray[np.float64], width: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """From one SVD of the rows (n x width): an orthonormal basis of what they leave free
    (width x d: the vectors orthogonal to every row) and the pseudo-inverse of their
    transpose (n x width: a group's least-squares combination of rows)."""
    if rows.shape[0] == 0:
        return np.eye(width), np.zeros((0, width))
    u, singular, vt = np.linalg.svd(rows, full_matrices=True)
    cutoff = max(rows.shape) * np.finfo(np.float64).eps * (singular[0] if singular.size else 0)
    rank = int((singular > cutoff).sum())
    inverse = (u[:, :rank] / singular[:rank]) @ vt[:rank]
    return np.ascontiguousarray(vt[rank:].T), inverse


class _Found(NamedTuple):
    people: int
    what: str
    atoms: frozenset[int]
    near: Sequence[CellKey]  # the cells around it: where the next-smallest sibling is sought
    key: CellKey | None = None  # the cell it is, if it is one
    terms: tuple[tuple[CellKey, int], ...] = ()  # as cells added or taken away; () an atom


class _Projector:
    """Groups' coordinates against a basis (width x d): a group is fixed by the shown cells
    when its coordinates against what they leave free are all 0. A cell's coordinates are
    its parts' sum (one relation down, remembered), so a large cell costs a few additions
    rather than one per atom."""

    def __init__(
        self,
        basis: npt.NDArray[np.float64],
        cells: Mapping[CellKey, Cell],
        split: Mapping[CellKey, tuple[CellKey, ...]],
    ) -> None:
        self.basis, self.cells, self.split = basis, cells, split
        self.memo: dict[CellKey, npt.NDArray[np.float64]] = {}

    def cell(self, key: CellKey) -> npt.NDArray[np.float64]:
        held = self.memo.get(key)
        if held is None:
            parts = self.split.get(key)
            if parts is None:
                held = self.basis[sorted(self.cells[key].atoms)].sum(axis=0)
            else:
                held = np.sum([self.cell(p) for p in parts], axis=0)
            self.memo[key] = held
        return held

    def zero(self, found: Sequence[_Found]) -> npt.NDArray[np.bool_]:
        """For each group: are its coordinates all 0?"""
        if self.basis.shape[1] == 0:
            return np.ones(len(found), dtype=bool)
        rows = np.zeros((len(found), self.basis.shape[1]))
        for i, f in enumerate(found):
            if f.terms:
                for key, sign in f.terms:
                    rows[i] += sign * self.cell(key)
            else:
                rows[i] = self.basis[sorted(f.atoms)].sum(axis=0)
        return np.asarray(np.abs(rows).max(axis=1) <= _TOLERANCE)


class _Layout:
    """What does not change from round to round: sizes, lookups, the operational space."""

    def __init__(self, table: Table) -> None:
        self.width = len(table.atoms)
        self.values = {key: table.value(key) for key in table.cells}
        self.by_atoms: dict[frozenset[int], CellKey] = {}
        for key, cell in sorted(table.cells.items(), reverse=True):
            self.by_atoms[cell.atoms] = key  # the first key wins for cells with the same atoms
        self.member_of: dict[CellKey, list[Relation]] = {}
        for relation in table.relations:
            for member in (relation.total, *relation.parts):
                self.member_of.setdefault(member, []).append(relation)
        # Each total's finest split: the relation with the fewest parts.
        self.split: dict[CellKey, tuple[CellKey, ...]] = {}
        for relation in table.relations:
            held = self.split.get(relation.total)
            if held is None or len(relation.parts) < len(held):
                self.split[relation.total] = relation.parts
        exempt = [c.atoms for c in table.cells.values() if c.exempt]
        # What the exempt cells leave free; None when there are none (nothing operational).
        self.operational = (
            _Projector(_factor(_rows(exempt, self.width), self.width)[0], table.cells, self.split)
            if exempt
            else None
        )


def _rows(groups: Sequence[frozenset[int]], width: int) -> npt.NDArray[np.float64]:
    rows = np.zeros((len(groups), width))
    for i, atoms in enumerate(groups):
        rows[i, list(atoms)] = 1.0
    return rows


class _Audit:
    """One round: what the shown cells give away, and the cell to hide for each leak."""

    def __init__(
        self, table: Table, layout: _Layout, hidden: set[CellKey], rule: SuppressionRule
    ) -> None:
        self.table, self.hidden, self.rule = table, hidden, rule
        self.values, self.width = layout.values, layout.width
        self.by_atoms, self.member_of = layout.by_atoms, layout.member_of
        self.operational = layout.operational
        self.shown = sorted(k for k, c in table.cells.items() if c.published and k not in hidden)
        self.shown_set = set(self.shown)
        self.shown_rows = self._rows([table.cells[k].atoms for k in self.shown])
        free, self.inverse = _factor(self.shown_rows, self.width)
        self.free = _Projector(free, table.cells, layout.split)

    def _rows(self, groups: Sequence[frozenset[int]]) -> npt.NDArray[np.float64]:
        return _rows(groups, self.width)

    def _determined(self, found: Sequence[_Found]) -> list[bool]:
        """Fixed by the shown cells, and not an operational figure (which the exempt cells
        fix on their own)."""
        fixed = self.free.zero(found)
        if self.operational is None:
            operational = np.zeros(len(found), dtype=bool)
        else:
            operational = self.operational.zero(found)
        return [
            bool(f and not o and (g.atoms or g.terms))
            for f, o, g in zip(fixed, operational, found, strict=True)
        ]

    def _hideable(self, key: CellKey) -> bool:
        cell = self.table.cells[key]
        return cell.published and not cell.exempt and key not in self.hidden

    def _smallest(self, keys: Sequence[CellKey], leaked: int) -> CellKey | None:
        """The smallest hideable cell that, with the `leaked` people, makes a group of k or
        more (a smaller one would only leak a small sum next round), else the largest; on a
        tie the one listed first (siblings are listed before their total, which is worth
        more to the reader)."""
        options = sorted(
            (k for k in dict.fromkeys(keys) if self._hideable(k)), key=lambda k: self.values[k]
        )
        enough = [k for k in options if leaked + self.values[k] >= self.rule.k]
        if enough:
            return enough[0]
        return max(options, key=lambda k: self.values[k]) if options else None

    def _sources(self, atoms: frozenset[int]) -> list[CellKey]:
        """The shown cells a leaked group is computed from (a least-squares combination)."""
        if not self.shown:
            return []
        weights = self.inverse @ self._rows([atoms])[0]
        return [k for k, w in zip(self.shown, weights, strict=True) if abs(w) > _TOLERANCE]

    def _with_atoms(self, found: _Found) -> _Found:
        if found.atoms or not found.terms:
            return found
        cells = self.table.cells
        added = frozenset().union(*(cells[k].atoms for k, sign in found.terms if sign > 0))
        taken = frozenset().union(*(cells[k].atoms for k, sign in found.terms if sign < 0))
        return found._replace(atoms=added - taken)

    def _direct(self, key: CellKey) -> list[CellKey]:
        """The other members of each relation in which `key` is the only unshown member:
        where one subtraction gives it away, and hiding one more member stops that."""
        out: list[CellKey] = []
        for relation in self.member_of.get(key, []):
            others = [m for m in (*relation.parts, relation.total) if m != key]
            if all(m in self.shown_set for m in others):
                out += others
        return out

    def _candidates(self, leak: _Found) -> list[CellKey]:
        """Where to look for the cell to hide: the leak's own neighbourhood (its siblings in
        a relation it leaks through), else the shown cells it is computed from."""
        if leak.near:
            return list(leak.near)
        key = leak.key or self.by_atoms.get(leak.atoms)
        direct = [] if key is None else self._direct(key)
        return direct or self._sources(leak.atoms)

    def leaks(self) -> list[tuple[CellKey, Leak]]:
        """(the cell to hide, what it stops leaking); empty when nothing leaks."""
        cells, rule = self.table.cells, self.rule

        def small(people: int, atoms: frozenset[int]) -> bool:
            return self.table.small(rule, people, atoms)

        suspects = [
            _Found(self.values[k], f"hidden cell {k} recoverable", cells[k].atoms, (), k, ((k, 1),))
            for k in sorted(self.hidden)
            if cells[k].published
        ]
        suspects += [
            _Found(self.values[k], f"unpublished group {k}", c.atoms, (), k, ((k, 1),))
            for k, c in sorted(cells.items())
            if not c.published and small(self.values[k], c.atoms)
        ]
        suspects += self._unshown_parts()
        suspects += self._nested_differences()
        suspects += [
            _Found(people, f"atom {atom}", frozenset({atom}), ())
            for atom, people in enumerate(self.table.atoms)
            if small(people, frozenset({atom}))
        ]
        if not suspects:
            return []
        determined = self._determined(suspects)
        found = [
            self._with_atoms(s) for s, leaked in zip(suspects, determined, strict=True) if leaked
        ]
        fixes: dict[CellKey, Leak] = {}
        # Smallest leak first. A leak next to a cell hidden this round waits for the next
        # round: that cell may have stopped it already (hiding less than one per leak).
        for leak in sorted(found, key=lambda f: f.people):
            candidates = self._candidates(leak)
            if fixes.keys() & set(candidates):
                continue
            fix = self._smallest(candidates, leak.people) or self._smallest(
                self._sources(leak.atoms), leak.people
            )
            if fix is not None:
                fixes[fix] = Leak(leak.what, leak.people)
        return sorted(fixes.items())

    def _unshown_parts(self) -> list[_Found]:
        """What is left of a known total once its shown parts are taken away (the union of
        its unshown parts), when that is a small group. (A part of that remainder is only
        known if the rest of it is, and then the cells themselves are caught.)"""
        cells = self.table.cells
        small: list[_Found] = []
        for relation in self.table.relations:
            unshown = [p for p in relation.parts if p not in self.shown_set]
            if len(unshown) < 2:
                continue  # none, or one part: that cell is checked on its own
            people = sum(self.values[p] for p in unshown)
            if people >= self.rule.k:
                continue
            # Its atoms only matter for an empty remainder (is it zero-safe?); the others'
            # are worked out if they leak.
            atoms = frozenset().union(*(cells[p].atoms for p in unshown)) if not people else None
            if atoms is None or self.table.small(self.rule, people, atoms):
                what = f"{relation.total} - its shown parts"
                near = (*relation.parts, relation.total)
                terms = tuple((p, 1) for p in unshown)
                small.append(_Found(people, what, atoms or frozenset(), near, None, terms))
        # The total is known when shown, or fixed by other cells.
        totals = sorted({f.near[-1] for f in small} - self.shown_set)
        fixed = self.free.zero([_Found(0, "", cells[t].atoms, (), t, ((t, 1),)) for t in totals])
        known = self.shown_set | {t for t, f in zip(totals, fixed, strict=True) if f}
        return [f for f in small if f.near[-1] in known]

    def _nested_differences(self) -> list[_Found]:
        """Two shown cells, one inside the other, whose difference is a small group."""
        found: list[_Found] = []
        cells = self.table.cells
        masks = {k: sum(1 << a for a in cells[k].atoms) for k in self.shown}
        by_value = sorted(self.shown, key=lambda k: self.values[k])
        values = [self.values[k] for k in by_value]
        for i, first in enumerate(by_value):
            j = i + 1
            while j < len(by_value) and values[j] - values[i] < self.rule.k:
                second = by_value[j]
                j += 1
                # Equal sizes: either may be the one inside the other.
                pairs = [(first, second)] + (
                    [(second, first)] if values[j - 1] == values[i] else []
                )
                for inner, outer in pairs:
                    if masks[outer] == masks[inner] or masks[inner] & ~masks[outer]:
                        continue
                    people = self.values[outer] - self.values[inner]
                    atoms = cells[outer].atoms - cells[inner].atoms
                    if self.table.small(self.rule, people, atoms):
                        terms = ((outer, 1), (inner, -1))
                        what = f"{outer} - {inner}"
                        found.append(_Found(people, what, atoms, (inner, outer), None, terms))
        return found


def suppress(table: Table, rule: SuppressionRule | None = None) -> Suppression:
    """Primary suppression, then complementary suppression until nothing leaks."""
    rule = rule or SuppressionRule()
    primary = {
        key
        for key, cell in table.cells.items()
        if cell.published and not cell.exempt and table.small(rule, table.value(key), cell.atoms)
    }
    hidden = set(primary)
    layout = _Layout(table)
    reasons: list[tuple[CellKey, Leak]] = []
    while True:
        leaks = _Audit(table, layout, hidden, rule).leaks()
        if not leaks:
            break
        hidden.update(key for key, _ in leaks)
        reasons += leaks
    return Suppression(table, rule, frozenset(primary), frozenset(hidden - primary), tuple(reasons))
