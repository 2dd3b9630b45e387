"""Every pair of a cohort as the optimizer sees it: an integer weight (the score in units of
1/SCORE_SCALE, or -1 where the hard rules forbid the pair), produced block by block so that
a large cohort never holds more than a block of float temporaries at once.

Weights are scored once and kept as int16 (2 bytes a pair: 1 GB for 50,000 x 10,000), so the
optimizer's later passes over every pair (the certificate) only read them. Past the memory
budget the first rows are kept and only the others are scored again on a later pass: time
grows smoothly with the cohort instead of falling off a cliff."""

from __future__ import annotations

import mmap
from collections.abc import Iterator, Sequence
from datetime import date

import numpy as np
import numpy.typing as npt

from matching.domain.model import (
    MatchingPolicy,
    MenteeProfile,
    MentorProfile,
)
from matching.domain.rules import PairRules
from matching.domain.scoring import CohortScorer
from matching.domain.weights import PairWeights

IntArray = npt.NDArray[np.int64]
Int16Array = npt.NDArray[np.int16]
BoolArray = npt.NDArray[np.bool_]
Index = npt.NDArray[np.intp]

BLOCK_PAIRS = 1 << 19  # pairs scored at once: float32 temporaries stay in the CPU's cache
CACHE_BYTES = 1 << 30  # weights kept between passes (int16): 536 M pairs


class Compatibility:
    def __init__(
        self,
        mentees: Sequence[MenteeProfile],
        mentors: Sequence[MentorProfile | MenteeProfile],
        policy: MatchingPolicy,
        blocked_pairs: frozenset[tuple[str, str]],
        reference_day: date,
        *,
        cache_bytes: int | None = None,
    ) -> None:
        self.n, self.m = len(mentees), len(mentors)
        self.rules = PairRules(mentees, mentors, policy, blocked_pairs)
        self.scorer = CohortScorer(mentees, mentors, policy, reference_day)
        self.pair_weights = PairWeights(self.scorer, self.rules)
        self.block_rows = max(1, BLOCK_PAIRS // max(self.m, 1))
        budget = CACHE_BYTES if cache_bytes is None else cache_bytes
        self.cached_rows = min(self.n, budget // max(2 * self.m, 1))  # rows 0..cached_rows-1
        self._cache: Int16Array | None = None
        self._stored = np.zeros(self.cached_rows, dtype=np.bool_)
        self.scored_pairs = 0  # pairs scored so far: n * m after one full pass
        self._allowed = np.full(self.n, -1, dtype=np.int64)  # allowed pairs per row (-1: unread)

    def block(self, rows: Index) -> tuple[IntArray, BoolArray]:
        """Integer weights and the allowed mask of rows x every column."""
        weights = self.weights_of(rows)
        return np.maximum(weights, 0), weights >= 0

    def blocks(self, rows: Index) -> Iterator[tuple[Index, Int16Array]]:
        """The rows in chunks of at most block_rows, each with its weights (-1: forbidden).
        A pair always reads the same weight, kept or scored again. Blocks may be views of
        the kept weights: read them, never write to them."""
        for start in range(0, len(rows), self.block_rows):
            chunk = rows[start : start + self.block_rows]
            yield chunk, self._weights(chunk)

    def allowed_pairs(self, rows: Index) -> int:
        """How many pairs of these rows the hard rules allow."""
        unread = rows[self._allowed[rows] < 0]
        for _ in self.blocks(unread):
            pass
        return int(self._allowed[rows].sum())

    def weights_of(self, rows: Index) -> IntArray:
        """Integer weights of rows x every column, -1 where the hard rules forbid the pair
        (an allowed pair never weighs less than 0)."""
        out = np.empty((len(rows), self.m), dtype=np.int64)
        start = 0
        for chunk, weights in self.blocks(rows):
            out[start : start + len(chunk)] = weights
            start += len(chunk)
        return out

    def _weights(self, chunk: Index) -> Int16Array:
        kept = chunk < self.cached_rows
        stored = np.zeros(len(chunk), dtype=np.bool_)
        if self._cache is not None:
            stored[kept] = self._stored[chunk[kept]]
        if stored.all():
            assert self._cache is not None
            if bool((np.diff(chunk) == 1).all()):
                return self._cache[chunk[0] : chunk[0] + len(chunk)]  # a run of rows: a view
            return self._cache[chunk]
        missing = chunk[~stored]
        scored = self.pair_weights.block(missing)
        self.scored_pairs += scored.size
        self._allowed[missing] = np.count_nonzero(scored >= 0, axis=1)
        if kept.any():
            if self._cache is None:
                self._cache = _kept_weights(self.cached_rows, self.m)
            keep = missing < self.cached_rows
            if keep.all() and bool((np.diff(missing) == 1).all()):
                self._cache[missing[0] : missing[0] + len(missing)] = scored  # the first pass
            else:
                self._cache[missing[keep]] = scored[keep]
            self._stored[missing[keep]] = True
        if not stored.any():
            return scored
        weights = np.empty((len(chunk), self.m), dtype=np.int16)
        weights[~stored] = scored
        assert self._cache is not None
        weights[stored] = self._cache[chunk[stored]]
        return weights


def _kept_weights(rows: int, columns: int) -> Int16Array:
    """Room for the kept weights. Asked for in huge pages where the system offers them: a
    gigabyte in 4 KiB pages costs a quarter of a million page faults, several times the
    copying itself."""
    size = max(rows * columns, 1) * 2
    advice = getattr(mmap, "MADV_HUGEPAGE", None)
    if advice is None:
        return np.empty((rows, columns), dtype=np.int16)
    room = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    room.madvise(advice)
    return np.frombuffer(room, dtype=np.int16, count=rows * columns).reshape(rows, columns)
