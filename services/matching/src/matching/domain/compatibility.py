"""Every pair of a cohort as the optimizer sees it: an integer weight (the score in units of
1/SCORE_SCALE) and whether the hard rules allow it, produced block by block so that even a
large cohort never holds more than a few million pairs in memory at once."""

from __future__ import annotations

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
from matching.domain.scoring import SCORE_SCALE, CohortScorer

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
Index = npt.NDArray[np.intp]

BLOCK_PAIRS = 2_000_000  # pairs scored at once: ~16 MB per float64 temporary
CACHE_PAIRS = 60_000_000  # up to this many pairs, weights are kept (int32: 240 MB at most)


class Compatibility:
    def __init__(
        self,
        mentees: Sequence[MenteeProfile],
        mentors: Sequence[MentorProfile | MenteeProfile],
        policy: MatchingPolicy,
        blocked_pairs: frozenset[tuple[str, str]],
        reference_day: date,
    ) -> None:
        self.n, self.m = len(mentees), len(mentors)
        self.rules = PairRules(mentees, mentors, policy, blocked_pairs)
        self.scorer = CohortScorer(mentees, mentors, policy, reference_day)
        self.block_rows = max(1, BLOCK_PAIRS // max(self.m, 1))
        # The solver reads every pair once per verification round: scoring is the costly
        # part, so small enough cohorts keep the weights (-1: not allowed).
        self._cache: npt.NDArray[np.int32] | None = None
        self._cacheable = self.n * self.m <= CACHE_PAIRS

    def block(self, rows: Index) -> tuple[IntArray, BoolArray]:
        """Integer weights and the allowed mask of rows x every column."""
        weights = np.rint(self.scorer.scores(rows) * SCORE_SCALE).astype(np.int64)
        return weights, self.rules.allowed(rows)

    def blocks(self, rows: Index) -> Iterator[tuple[Index, IntArray, BoolArray]]:
        """The rows in chunks. A pair always gets bit-identical weights, cached or not, which
        the optimizer's certificate relies on (a row's values never depend on the others in
        its chunk)."""
        if self._cacheable and self._cache is None:
            cache = np.empty((self.n, self.m), dtype=np.int32)
            for chunk, weights, allowed in self._computed(np.arange(self.n, dtype=np.intp)):
                cache[chunk] = np.where(allowed, weights, -1)
            self._cache = cache
        if self._cache is None:
            yield from self._computed(rows)
            return
        for start in range(0, len(rows), self.block_rows):
            chunk = rows[start : start + self.block_rows]
            stored = self._cache[chunk]
            yield chunk, stored.astype(np.int64), stored >= 0

    def weights_of(self, rows: Index) -> IntArray:
        """Integer weights of rows x every column, -1 where the hard rules forbid the pair
        (an allowed pair never weighs less than 0)."""
        out = np.empty((len(rows), self.m), dtype=np.int64)
        start = 0
        for chunk, weights, allowed in self.blocks(rows):
            out[start : start + len(chunk)] = np.where(allowed, weights, -1)
            start += len(chunk)
        return out

    def _computed(self, rows: Index) -> Iterator[tuple[Index, IntArray, BoolArray]]:
        for start in range(0, len(rows), self.block_rows):
            chunk = rows[start : start + self.block_rows]
            weights, allowed = self.block(chunk)
            yield chunk, weights, allowed
