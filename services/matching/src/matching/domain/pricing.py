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

    def bounds(self, chunk: Index, shift: int, top: int) -> Int32Array:
        """T - shift per pair of the block, clipped to [-1, top]: a pair's value (at most
        top - 1, -1 when forbidden) exceeds it exactly when it exceeded T - shift. In int32
        when the potentials allow (they nearly always do), int64 otherwise."""
        tail_all = self.row if self.row_by_department is None else self.row_by_department
        head_all = self.col if self.col_by_department is None else self.col_by_department
        lowest = int(min(tail_all.min(initial=0), -head_all.max(initial=0)))
        highest = int(max(tail_all.max(initial=0), -head_all.min(initial=0)))
        offset = self.bonus + shift
        narrow = max(abs(lowest), abs(highest)) + abs(offset) < 1 << 29
        dtype = np.int32 if narrow else np.int64
        if self.row_by_department is None:
            tail = (self.row[chunk] - offset).astype(dtype)[:, None]
        else:
            tail = np.take(
                (self.row_by_department[chunk] - offset).astype(dtype), self.col_department, axis=1
            )
        if self.col_by_department is None:
            out = np.subtract(tail, self.col.astype(dtype)[None, :])
        else:
            out = np.subtract(
                tail, self.col_by_department.astype(dtype)[self.row_department[chunk]]
            )
        np.clip(out, -1, top, out=out)
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
    held = violations = gap = allowed_pairs = 0
    top = SCORE_CAP + 1 if duals.use_weights else 1  # above any value a pair can have
    for chunk, weights in oracle.blocks(rows):
        allowed = weights >= 0
        allowed_pairs += int(np.count_nonzero(allowed))
        value = weights if duals.use_weights else (allowed.astype(np.int16) - 1)
        bound = duals.bounds(chunk, margin, top)  # a forbidden pair (-1) never qualifies
        flagged = value > bound
        lo, hi = np.searchsorted(in_rows, [chunk[0], chunk[-1] + 1])
        if hi > lo:
            flagged[np.searchsorted(chunk, in_rows[lo:hi]), in_cols[lo:hi]] = False
        count = int(np.count_nonzero(flagged))
        if count == 0:
            continue
        if count > 4 * row_k * len(chunk):  # many: work on the dense block
            excess = np.subtract(value, bound, dtype=np.int32)  # by how much it clears
            violations += int(np.count_nonzero(flagged & (excess > margin)))
            keys = excess << TIE_BITS
            keys |= ties.block(chunk)
            np.copyto(keys, -1, where=~flagged)
            at, cols = row_best(keys, row_k)
            found_keys = keys[at, cols].astype(np.int64)
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
            at, cols, found_keys = _row_top(at, cols, all_keys, row_k)
        held += count
        # The bound: each row's `places` largest violations (excess beyond the margin).
        at, cols, found_keys, rank = _ranked(at, cols, found_keys)
        first = rank < slots[chunk[at]]
        gap += int(np.maximum((found_keys[first] >> TIE_BITS) - margin, 0).sum())
        picked.append(_pairs(chunk, at, cols, weights))
    if everything is not None:
        added = Candidates.concat(everything)
    else:
        added = Candidates.concat([*picked, best.result()]).union(Candidates.empty(), m)
    return Pricing(added=added, violations=violations, gap=gap, allowed_pairs=allowed_pairs)


def _pairs(chunk: Index, at: Index, cols: Index, weights: Int16Array) -> Candidates:
    cols = np.asarray(cols, dtype=np.intp)
    return Candidates(chunk[at], cols, weights[at, cols].astype(np.int64))


def _row_top(at: Index, cols: Index, keys: IntArray, k: int) -> tuple[Index, Index, IntArray]:
    """Each block row's k largest keys among the given entries."""
    at, cols, keys, rank = _ranked(at, cols, keys)
    keep = rank < k
    return at[keep], cols[keep], keys[keep]


def _ranked(at: Index, cols: Index, keys: IntArray) -> tuple[Index, Index, IntArray, Index]:
    """The entries by row, largest key first, with their rank within the row."""
    order = np.lexsort((-keys, at))
    at, cols, keys = at[order], cols[order], keys[order]
    rank = np.arange(len(at)) - np.searchsorted(at, at, side="left")
    return at, cols, keys, rank
