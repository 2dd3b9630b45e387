"""The integer weight of every pair of a cohort, the number the optimizer maximizes: the score
x SCORE_SCALE (0..10,000), or -1 where a hard rule forbids the pair, as int16 blocks of
(mentees x every mentor).

`CohortScorer.criteria` and `weighted` are the readable definition of the score (float64,
one array per criterion, for reasons and tests). This is the same function arranged so that
a block is a handful of float32 passes, because a large cohort has hundreds of millions of
pairs and this is its costliest step:

* Department, level and time zone come in a few values each. Their criteria (cross-
  department, level fit, working-hours overlap) plus the mentor's rating form one table with
  a row per distinct (department, level, zone) of a mentee and a column per mentor; the
  level-gap rule is folded in as a large negative value. A block starts as a copy of its
  mentees' rows of that table (computed per block instead when a cohort has too many
  distinct rows for the table to pay).
* Goals (TF-IDF cosine) and interests (Jaccard) are sparse x dense products against the
  mentors' vectors, restricted to the words and interests some mentee has.
* The language rule is a small table of (mentee's languages, mentor's languages); the
  pairs ruled out by who the two people are (reporting line, past pairs) are few and set
  one by one.

A weight agrees with round(score x SCORE_SCALE) of the readable definition to within one unit
(float32 rounding), and never depends on which other rows share its block: the certificate
compares weights read in different rounds.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp  # type: ignore[import-untyped]

from matching.domain.model import Criterion
from matching.domain.rules import PairRules, level_gap_ok, level_gaps
from matching.domain.scoring import SCORE_SCALE, CohortScorer
from matching.domain.similarity import normalized

Index = npt.NDArray[np.intp]
Float32Array = npt.NDArray[np.float32]
Int16Array = npt.NDArray[np.int16]

FORBIDDEN = np.float32(-4.0)  # far below any sum of criteria: the pair ends as -1
TABLE_CELLS = 1 << 24  # the static table's largest size (64 MB of float32)
DENSE_CELLS = 1 << 25  # largest dense right-hand side of a product (128 MB of float32)


class PairWeights:
    """Computes int16 weight blocks for one cohort (rows: mentees; columns: mentors, or the
    same pool in a PEER program)."""

    def __init__(self, scorer: CohortScorer, rules: PairRules) -> None:
        self.n, self.m = len(scorer.mentees), scorer.m
        self.rules = rules
        w = scorer.weights
        self._w_goals = np.float32(w[Criterion.GOALS])
        self._w_interests = np.float32(w[Criterion.INTERESTS])
        self._static_parts = _StaticParts(scorer, rules)
        keys = np.stack(
            [scorer.mentee_department, scorer.mentee_level, scorer.mentee_zone], axis=1
        ).reshape(self.n, 3)
        _, first, self._class = np.unique(keys, axis=0, return_index=True, return_inverse=True)
        self._class = self._class.reshape(-1)
        self._table: Float32Array | None = None
        if len(first) * self.m <= TABLE_CELLS and len(first) < self.n:
            self._table = self._static_parts.rows(first.astype(np.intp))
        self._symmetric = scorer.symmetric
        half = np.float32(0.5) if scorer.symmetric else np.float32(1.0)
        self._goals = _Product(scorer.goals.left, scorer.goals.right, self._w_goals * half)
        self._interests = _Product(scorer.interests.left, scorer.interests.right, np.float32(1))
        self._left_sizes = scorer.interests.left_sizes.astype(np.float32)
        self._right_sizes = scorer.interests.right_sizes.astype(np.float32)
        self._languages = _LanguageRule(scorer, rules)

    def block(self, rows: Index) -> Int16Array:
        """The weights of rows x every column."""
        if self._table is not None:
            total = self._table[self._class[rows]]
        else:
            total = self._static_parts.rows(rows)
        if self._w_goals > 0:
            goals = self._goals.rows(rows)
            if self._symmetric:
                # A pool: the other one's goals against this one's experience too, read as
                # the transposed forward product so that w(a, b) == w(b, a) bit for bit.
                goals += self._goals.columns(rows)
            total += goals
        if self._w_interests > 0:
            shared = self._interests.rows(rows)
            union = np.add(self._left_sizes[rows][:, None], self._right_sizes[None, :])
            union -= shared
            np.maximum(union, np.float32(1), out=union)  # no interests at all: 0 / 1
            shared /= union
            shared *= self._w_interests
            total += shared
        self._languages.forbid(rows, total)
        forbidden = self.rules.forbidden[rows]
        if forbidden.nnz:
            at = np.repeat(np.arange(len(rows)), np.diff(forbidden.indptr))
            total[at, forbidden.indices] = FORBIDDEN
        total *= np.float32(SCORE_SCALE)
        np.rint(total, out=total)
        np.clip(total, -1, SCORE_SCALE, out=total)
        return total.astype(np.int16)


class _StaticParts:
    """Cross-department, level fit (with the level-gap rule), working-hours overlap and the
    mentor's rating, each from a small table, summed in one fixed order."""

    def __init__(self, scorer: CohortScorer, rules: PairRules) -> None:
        w = scorer.weights
        # Department codes shifted by one: 0 is "unknown", which reads as neutral.
        depts = (
            int(
                max(
                    scorer.mentee_department.max(initial=-1),
                    scorer.mentor_department.max(initial=-1),
                )
            )
            + 2
        )
        code = np.arange(depts)
        cross = np.where(
            (code[:, None] == 0) | (code[None, :] == 0), 0.5, code[:, None] != code[None, :]
        )
        self._cross = (w[Criterion.CROSS_DEPARTMENT] * cross).astype(np.float32)
        self._row_dept = scorer.mentee_department + 1
        self._col_dept = scorer.mentor_department + 1
        levels = np.concatenate([scorer.mentee_level, scorer.mentor_level])
        low = int(levels.min(initial=0))
        span = np.arange(int(levels.max(initial=0)) - low + 1)
        gap = level_gaps(span[:, None] + low, span[None, :] + low, scorer.policy.kind)
        fit = w[Criterion.LEVEL_GAP] * scorer.level_table[gap + scorer.gap_offset]
        self._level = np.where(level_gap_ok(gap, rules.policy), fit, FORBIDDEN).astype(np.float32)
        self._row_level = scorer.mentee_level - low
        self._col_level = scorer.mentor_level - low
        self._zone = (w[Criterion.TIME_ZONE] * scorer.zone_table).astype(np.float32)
        self._row_zone, self._col_zone = scorer.mentee_zone, scorer.mentor_zone
        self._rating = (w[Criterion.FEEDBACK] * scorer.rating).astype(np.float32)

    def rows(self, rows: Index) -> Float32Array:
        total = np.take(self._cross[self._row_dept[rows]], self._col_dept, axis=1)
        total += np.take(self._level[self._row_level[rows]], self._col_level, axis=1)
        total += np.take(self._zone[self._row_zone[rows]], self._col_zone, axis=1)
        total += self._rating[None, :]
        return total


class _Product:
    """left[rows] . right[columns] for sparse non-negative rows (TF-IDF vectors or 0/1
    incidences), scaled: a sparse x dense product over the terms both sides use."""

    def __init__(self, left: sp.csr_matrix, right: sp.csr_matrix, scale: np.float32) -> None:
        terms = np.flatnonzero(
            np.asarray((left != 0).sum(axis=0)).ravel()
            * np.asarray((right != 0).sum(axis=0)).ravel()
        )
        self._left = sp.csr_matrix(left[:, terms], dtype=np.float32)
        right_used = sp.csr_matrix(right[:, terms], dtype=np.float32)
        self._dense: Float32Array | None = None
        self._right = right_used
        if len(terms) * right.shape[0] <= DENSE_CELLS:
            self._dense = np.ascontiguousarray((right_used.T.toarray() * scale).astype(np.float32))
        self._scale = scale
        self._right_t_left: Float32Array | None = None

    def rows(self, rows: Index) -> Float32Array:
        """(len(rows), columns): left[rows] against every right row."""
        if self._dense is not None:
            return np.asarray(self._left[rows] @ self._dense, dtype=np.float32)
        product: Float32Array = (self._left[rows] @ self._right.T).toarray().astype(np.float32)
        product *= self._scale
        return product

    def columns(self, rows: Index) -> Float32Array:
        """(len(rows), left rows): every left row against right[rows], transposed; the same
        numbers, computed the same way, as rows(...) gives for those pairs."""
        if self._dense is not None:
            product = np.asarray(self._left @ self._dense[:, rows], dtype=np.float32)
        else:
            product = (self._left @ self._right[rows].T).toarray().astype(np.float32)
            product *= self._scale
        return np.ascontiguousarray(product.T)


class _LanguageRule:
    """Pairs with no language in common (when both list some): a table by language sets, or
    the rules' own incidence product when there are too many distinct sets for a table."""

    def __init__(self, scorer: CohortScorer, rules: PairRules) -> None:
        self._rules = rules
        sets: dict[tuple[str, ...], int] = {}

        def codes(people: object) -> npt.NDArray[np.intp]:
            out = [sets.setdefault(tuple(normalized(p.languages)), len(sets)) for p in people]  # type: ignore[attr-defined]
            return np.array(out, dtype=np.intp)

        self._row = codes(scorer.mentees)
        self._col = codes(scorer.mentors)
        keys = list(sets)
        self._bad: npt.NDArray[np.bool_] | None = None
        self._by_product = len(keys) ** 2 > TABLE_CELLS
        if len(keys) > 1 and not self._by_product:
            bad = np.array(
                [[bool(a and b and not set(a) & set(b)) for b in keys] for a in keys],
                dtype=np.bool_,
            )
            if bad.any():
                self._bad = bad

    def forbid(self, rows: Index, total: Float32Array) -> None:
        if self._by_product:
            languages = self._rules.languages
            shared = languages.shared(rows, np.arange(total.shape[1], dtype=np.intp)) > 0
            silent = (languages.left_sizes[rows] == 0)[:, None] | (languages.right_sizes == 0)
            np.copyto(total, FORBIDDEN, where=~(shared | silent))
        elif self._bad is not None:
            bad = np.take(self._bad[self._row[rows]], self._col, axis=1)
            np.copyto(total, FORBIDDEN, where=bad)
