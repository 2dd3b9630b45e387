"""Which pairs the sparse flow holds: the first round's choice (each mentee's best mentors and
each mentor's best mentees, by weight) and the running per-mentor choice the certificate
rounds reuse (by how much a pair violates the duals).

Two things keep the choice good on every cohort:

* Ties are broken by a pseudo-random key per pair, (row key + column key) mod 2^16, so that
  equal mentees do not all pick the same mentors (with equal scores, plain argpartition hands
  every mentee the same first columns and a round reaches only a few mentors).
* A mentor's share is sized by that mentor's places (`column_sizes`), so one mentor with
  10,000 places gets many candidates without making every other mentor's list that long.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
Int16Array = npt.NDArray[np.int16]
Index = npt.NDArray[np.intp]

TIE_BITS = 16
_TIE_SEED = 20_251
_MIX = np.uint32(0x9E3779B1)  # Knuth's multiplicative hash constant (odd)


class PairOracle(Protocol):
    """Weights of every (row, column) pair, block by block (-1: forbidden)."""

    n: int
    m: int

    def blocks(self, rows: Index) -> Iterator[tuple[Index, Int16Array]]: ...

    def allowed_pairs(self, rows: Index) -> int: ...


@dataclass(frozen=True, slots=True)
class Candidates:
    """Pairs the sparse network holds, with their weights."""

    rows: Index
    cols: Index
    weights: IntArray

    @staticmethod
    def empty() -> Candidates:
        return Candidates(
            np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp), np.empty(0, dtype=np.int64)
        )

    @staticmethod
    def concat(parts: list[Candidates]) -> Candidates:
        if not parts:
            return Candidates.empty()
        return Candidates(
            np.concatenate([p.rows for p in parts]).astype(np.intp),
            np.concatenate([p.cols for p in parts]).astype(np.intp),
            np.concatenate([p.weights for p in parts]).astype(np.int64),
        )

    def union(self, other: Candidates, m: int) -> Candidates:
        """Both sets, each pair once, sorted by (row, column)."""
        keys = np.concatenate([self.rows * m + self.cols, other.rows * m + other.cols])
        weights = np.concatenate([self.weights, other.weights])
        uniq, first = np.unique(keys, return_index=True)
        return Candidates((uniq // m).astype(np.intp), (uniq % m).astype(np.intp), weights[first])

    def of_rows(self, rows: Index) -> Candidates:
        mine = np.isin(self.rows, rows)
        return Candidates(self.rows[mine], self.cols[mine], self.weights[mine])

    def __len__(self) -> int:
        return len(self.rows)


class TieBreak:
    """A deterministic pseudo-random key in [0, 2^16) per pair: a multiplicative hash of
    (row key xor column key). Rows with equal values order their columns independently of
    each other (not by a shared or rotated order, whose neighbourhoods pile up on the same
    mentors), and so do columns their rows."""

    def __init__(self, n: int, m: int) -> None:
        rng = np.random.default_rng(_TIE_SEED)
        self.row = rng.integers(0, 1 << 32, size=n, dtype=np.uint64).astype(np.uint32)
        self.col = rng.integers(0, 1 << 32, size=m, dtype=np.uint64).astype(np.uint32)

    def block(self, rows: Index) -> npt.NDArray[np.int32]:
        mixed = np.bitwise_xor(self.row[rows][:, None], self.col[None, :])
        mixed *= _MIX
        mixed >>= 32 - TIE_BITS
        return mixed.view(np.int32)

    def pairs(self, rows: Index, cols: Index) -> IntArray:
        mixed = np.bitwise_xor(self.row[rows], self.col[cols])
        mixed *= _MIX
        mixed >>= 32 - TIE_BITS
        return mixed.astype(np.int64)


def column_sizes(capacity: IntArray, n: int) -> IntArray:
    """How many of its best mentees each mentor keeps in the first round: three per place
    and five more, never more than there are mentees."""
    return np.minimum(3 * capacity + 5, n).astype(np.int64)


def row_size(slots: IntArray) -> int:
    """How many of their best mentors each mentee keeps in the first round."""
    return 2 * int(slots.max(initial=1)) + 6


class ColumnBest:
    """The best `sizes[j]` entries seen so far for each column j, by an integer key (ties
    already broken in the key), each with its pair's weight. Entries at or below a column's
    current threshold are skipped without being stored, so a pass over all pairs stores
    little beyond the result."""

    def __init__(self, sizes: IntArray) -> None:
        self.sizes = sizes
        self.threshold = np.full(len(sizes), -1, dtype=np.int64)  # keys must be > this
        self._parts: list[tuple[Index, Index, IntArray, IntArray]] = []
        self._held = 0
        self._limit = 2 * int(sizes.sum()) + 4096
        # Columns by size rounded up to a power of two: a block's k-th best key per column
        # is a safe threshold for any column whose size is at most k.
        rounded = 1 << np.ceil(np.log2(np.maximum(sizes, 1))).astype(np.int64)
        self._buckets = [(np.flatnonzero(rounded == k), int(k)) for k in np.unique(rounded)]

    def offer_block(
        self, chunk: Index, keys: npt.NDArray[np.int32] | IntArray, weights: Int16Array
    ) -> None:
        """Offer every entry of a (len(chunk), m) key block; negative keys never enter."""
        r, m = keys.shape
        passing = keys > self.threshold[None, :]
        if np.count_nonzero(passing) > 2 * int(self.sizes.sum()):
            # Thresholds still low (the first blocks): raise them to this block's own k-th
            # best per column, which the final k-th best can only exceed.
            for cols, k in self._buckets:
                if k < r:
                    sub = keys if len(cols) == m else keys[:, cols]
                    kth = np.partition(sub, r - k, axis=0)[r - k].astype(np.int64)
                    self.threshold[cols] = np.maximum(self.threshold[cols], kth - 1)
            passing = keys > self.threshold[None, :]
        flat = np.flatnonzero(passing.ravel())
        if len(flat) == 0:
            return
        self.offer(
            chunk[flat // m],
            (flat % m).astype(np.intp),
            keys.ravel()[flat].astype(np.int64),
            weights.ravel()[flat].astype(np.int64),
        )

    def offer(self, rows: Index, cols: Index, keys: IntArray, weights: IntArray) -> None:
        keep = keys > self.threshold[cols]
        if not keep.all():
            rows, cols, keys, weights = rows[keep], cols[keep], keys[keep], weights[keep]
        if len(rows) == 0:
            return
        self._parts.append((rows, cols, keys, weights))
        self._held += len(rows)
        if self._held > self._limit:
            self._compact()

    def result(self) -> Candidates:
        """The kept entries."""
        self._compact()
        if not self._parts:
            return Candidates.empty()
        rows, cols, _, weights = self._parts[0]
        return Candidates(rows, cols, weights)

    def _compact(self) -> None:
        if not self._parts:
            return
        rows, cols, keys, weights = (np.concatenate(x) for x in zip(*self._parts, strict=True))
        # By column, then key descending, in one sort: keys are below 2^31 (weights or
        # violations of at most 15 bits, shifted by the 16 tie bits).
        order = np.argsort((cols.astype(np.int64) << 31) | ((1 << 31) - 1 - keys))
        rows, cols, keys, weights = rows[order], cols[order], keys[order], weights[order]
        rank = np.arange(len(cols)) - np.searchsorted(cols, cols, side="left")
        keep = rank < self.sizes[cols]
        rows, cols, keys, weights = rows[keep], cols[keep], keys[keep], weights[keep]
        full = rank[keep] == self.sizes[cols] - 1
        self.threshold[cols[full]] = keys[full]
        self._parts = [(rows, cols, keys, weights)]
        self._held = len(rows)


def row_best(keys: npt.NDArray[np.int32] | IntArray, k: int) -> tuple[Index, Index]:
    """(block row, column) of each row's k largest non-negative keys."""
    r, m = keys.shape
    k = min(k, m)
    if k <= 0 or r == 0:
        empty = np.empty(0, dtype=np.intp)
        return empty, empty
    if k < m:
        top = np.argpartition(keys, m - k, axis=1)[:, m - k :]
    else:
        top = np.broadcast_to(np.arange(m), (r, m))
    chosen: IntArray = np.take_along_axis(keys, top, axis=1).astype(np.int64)
    ok = (chosen >= 0).ravel()
    at = np.repeat(np.arange(r, dtype=np.intp), top.shape[1])[ok]
    return at, top.ravel()[ok].astype(np.intp)


def weight_keys(weights: Int16Array, ties: npt.NDArray[np.int32]) -> npt.NDArray[np.int32]:
    """weight x 2^16 + tie (weights are at most 15 bits); forbidden pairs (-1) go negative."""
    keys = weights.astype(np.int32)
    keys <<= TIE_BITS
    keys |= ties
    return keys


def initial_candidates(
    oracle: PairOracle, rows: Index, row_k: int, col_k: IntArray, ties: TieBreak
) -> Candidates:
    """Each row's row_k heaviest allowed pairs and each column j's col_k[j] heaviest: the
    column side keeps every mentor reachable even when the mentees' favourites are
    elsewhere. Read in one pass over the weights."""
    if oracle.m == 0 or len(rows) == 0:
        return Candidates.empty()
    parts: list[Candidates] = []
    best = ColumnBest(col_k)
    for chunk, weights in oracle.blocks(rows):
        keys = weight_keys(weights, ties.block(chunk))
        at, cols = row_best(keys, row_k)
        parts.append(Candidates(chunk[at], cols, weights[at, cols].astype(np.int64)))
        best.offer_block(chunk, keys, weights)
    parts.append(best.result())
    return Candidates.concat(parts).union(Candidates.empty(), oracle.m)
