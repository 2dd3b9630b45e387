"""The certificate's pass over every allowed pair: which pairs left out of the sparse network
have a negative reduced cost under its potentials (they could improve the optimum), which of
them to add for the next round, and how much they could improve it at most.

A left-out pair (i, j) of value w (its weight, or 0 in a pure max-flow) plus the flow's bonus
has reduced cost d(tail) - (w + bonus) - d(head); it violates when w > T = d(tail) - d(head)
- bonus, by w - T. Every round adds, for each mentee, its most violated pairs and, for each
mentor, its most violated pairs (ties broken per pair, so equal mentees spread over equal
mentors); when all the violations are few enough they are all added, which ends the loop
in about one more round.

The bound: for potentials d, any flow y of the whole network costs at least the sparse
optimum plus the sum over left-out arcs of (reduced cost x y). A mentee's arcs carry at most
its places in all, one unit each, so that sum is at least the sum, over mentees, of the
`places` most negative reduced costs of its left-out pairs. Its negative is `gap`: the most
by which the optimum over every allowed pair can beat the sparse one (0: proven optimal).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from matching.domain.candidates import (
    TIE_BITS,
    Candidates,
    ColumnBest,
    Index,
    IntArray,
    PairOracle,
    TieBreak,
    row_best,
)
from matching.domain.scoring import SCORE_SCALE

BoolArray = npt.NDArray[np.bool_]
Int16Array = npt.NDArray[np.int16]
Int32Array = npt.NDArray[np.int32]

SCORE_CAP = SCORE_SCALE  # the largest weight a pair can have


@dataclass(frozen=True, slots=True)
class Duals:
    """The potentials as a pair sees them: T = tail - head - bonus per block."""

    row: IntArray  # d(mentee node), per row
    col: IntArray  # d(mentor node), per column
    # (mentee, department) nodes: potential by row and department code + 1 (0: unknown,
    # which is the mentee node itself); None when a mentee takes mentors of any department.
    row_by_department: IntArray | None
    col_department: IntArray  # department code + 1 per column
    # (leader, department) nodes: potential by column and department code + 1; None without
    # a department penalty.
    col_by_department: IntArray | None
    row_department: IntArray  # department code + 1 per row
    bonus: int
    use_weights: bool

    def bounds(self, shift: int, top: int) -> _Bounds:
        """T - shift per pair, block by block, clipped to at least -1 (and, when the
        potentials do not fit int32, at most top): a pair's value (below top, -1 when
        forbidden) exceeds it exactly when it exceeded T - shift."""
        tail = self.row if self.row_by_department is None else self.row_by_department
        head = self.col if self.col_by_department is None else self.col_by_department
        offset = self.bonus + shift
        reach = max(int(np.abs(tail).max(initial=0)), int(np.abs(head).max(initial=0)))
        dtype = np.int32 if reach + abs(offset) < 1 << 29 else np.int64
        return _Bounds(
            tail=np.asarray(tail - offset, dtype=dtype),
            head=np.asarray(head, dtype=dtype),
            by_row_department=self.row_by_department is not None,
            by_col_department=self.col_by_department is not None,
            col_department=self.col_department,
            row_department=self.row_department,
            top=top,
        )


@dataclass(frozen=True, slots=True)
class _Bounds:
    tail: npt.NDArray[np.signedinteger[Any]]  # offset row potentials (by department)
    head: npt.NDArray[np.signedinteger[Any]]
    by_row_department: bool
    by_col_department: bool
    col_department: IntArray
    row_department: IntArray
    top: int

    def block(self, chunk: Index) -> Int32Array:
        if self.by_row_department:
            tail = np.take(self.tail[chunk], self.col_department, axis=1)
        else:
            tail = self.tail[chunk][:, None]
        if self.by_col_department:
            out = np.subtract(tail, self.head[self.row_department[chunk]])
        else:
            out = np.subtract(tail, self.head[None, :])
        if out.dtype == np.int32:
            np.maximum(out, -1, out=out)
        else:
            np.clip(out, -1, self.top, out=out)
        bounded: Int32Array = out.astype(np.int32, copy=False)
        return bounded


@dataclass(frozen=True, slots=True)
class Pricing:
    added: Candidates  # left-out pairs to add for the next round
    violations: int  # left-out allowed pairs with a negative reduced cost
    gap: int  # the most the optimum over every allowed pair can beat this one (cost units)
    allowed_pairs: int


def price(
    oracle: PairOracle,
    rows: Index,
    duals: Duals,
    present: Candidates,
    slots: IntArray,
    sizes: tuple[int, IntArray],
    ties: TieBreak,
    *,
    margin: int = 0,
    add_all: int = 0,
) -> Pricing:
    """One pass over every pair of `rows`. `present`: the pairs in the network already
    (those carrying flow may have a negative reduced cost). Pairs within `margin` of
    violating are added too (not counted as violations): the next round's potentials
    move, and a pair close to the edge now often violates then."""
    m = oracle.m
    row_k, col_k = sizes
    order = np.argsort(present.rows, kind="stable")
    in_rows, in_cols = present.rows[order], present.cols[order]
    best = ColumnBest(col_k)
    picked: list[Candidates] = []
    everything: list[Candidates] | None = []
    held = violations = gap = 0
    top = SCORE_CAP + 1 if duals.use_weights else 1  # above any value a pair can have
    bounds = duals.bounds(margin, top)
    for chunk, weights in oracle.blocks(rows):
        value = weights if duals.use_weights else ((weights >= 0).astype(np.int16) - 1)
        bound = bounds.block(chunk)  # a forbidden pair (-1) never qualifies
        flagged = value > bound
        lo, hi = np.searchsorted(in_rows, [chunk[0], chunk[-1] + 1])
        if hi > lo:
            flagged[np.searchsorted(chunk, in_rows[lo:hi]), in_cols[lo:hi]] = False
        count = int(np.count_nonzero(flagged))
        if count == 0:
            continue
        if count > flagged.size // 4:  # most of the block: work on it densely
            excess = np.subtract(value, bound, dtype=np.int32)  # by how much it clears
            violations += int(np.count_nonzero(flagged & (excess > margin)))
            keys = excess << TIE_BITS
            keys |= ties.block(chunk)
            np.copyto(keys, -1, where=~flagged)
            at, cols = row_best(keys, row_k)
            found_keys = keys[at, cols].astype(np.int64)
            at, cols, found_keys, rank = _ranked(at, cols, found_keys)
            best.offer_block(chunk, keys, weights)
            if everything is not None and held + count <= add_all:
                flat = np.flatnonzero(flagged.ravel())
                everything.append(_pairs(chunk, flat // m, flat % m, weights))
            elif everything is not None:
                everything = None
        else:
            flat = np.flatnonzero(flagged.ravel())
            at, cols = flat // m, (flat % m).astype(np.intp)
            excess = value.ravel()[flat].astype(np.int64) - bound.ravel()[flat]
            violations += int(np.count_nonzero(excess > margin))
            all_keys = (excess << TIE_BITS) | ties.pairs(chunk[at], cols)
            best.offer(chunk[at], cols, all_keys, weights.ravel()[flat].astype(np.int64))
            if everything is not None and held + count <= add_all:
                everything.append(_pairs(chunk, at, cols, weights))
            elif everything is not None:
                everything = None
            at, cols, found_keys, rank = _ranked(at, cols, all_keys)
            top_k = rank < row_k
            at, cols, found_keys, rank = at[top_k], cols[top_k], found_keys[top_k], rank[top_k]
        held += count
        # The bound: each row's `places` largest violations (excess beyond the margin).
        first = rank < slots[chunk[at]]
        gap += int(np.maximum((found_keys[first] >> TIE_BITS) - margin, 0).sum())
        picked.append(_pairs(chunk, at, cols, weights))
    allowed_pairs = oracle.allowed_pairs(rows)
    if everything is not None:
        added = Candidates.concat(everything)
    else:
        added = Candidates.concat([*picked, best.result()]).union(Candidates.empty(), m)
    return Pricing(added=added, violations=violations, gap=gap, allowed_pairs=allowed_pairs)


def _pairs(chunk: Index, at: Index, cols: Index, weights: Int16Array) -> Candidates:
    cols = np.asarray(cols, dtype=np.intp)
    return Candidates(chunk[at], cols, weights[at, cols].astype(np.int64))


def _ranked(at: Index, cols: Index, keys: IntArray) -> tuple[Index, Index, IntArray, Index]:
    """The entries by row, largest key first, with their rank within the row."""
    order = np.lexsort((-keys, at))
    at, cols, keys = at[order], cols[order], keys[order]
    rank = np.arange(len(at)) - np.searchsorted(at, at, side="left")
    return at, cols, keys, rank
