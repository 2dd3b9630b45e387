"""Text and set similarity as sparse matrices: TF-IDF cosine for goals against experience,
Jaccard for interests, "any in common" for languages. One row per person, so a block of a
cohort's pairs is one sparse product."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp  # type: ignore[import-untyped]

FloatArray = npt.NDArray[np.float64]

_WORD = re.compile(r"[a-z0-9][a-z0-9+#]*")
# Words that say nothing about what someone wants to learn or can teach.
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "become",
        "better",
        "by",
        "can",
        "for",
        "from",
        "get",
        "good",
        "grow",
        "have",
        "how",
        "i",
        "in",
        "into",
        "is",
        "it",
        "its",
        "learn",
        "learning",
        "me",
        "more",
        "my",
        "of",
        "on",
        "or",
        "our",
        "own",
        "skill",
        "skills",
        "so",
        "the",
        "their",
        "them",
        "to",
        "up",
        "want",
        "we",
        "what",
        "when",
        "with",
        "work",
        "working",
        "you",
        "your",
        "improve",
        "improving",
        "develop",
        "developing",
    ]
)


def tokens(text: str) -> list[str]:
    """Lower-cased words without stopwords, with a plural "s" dropped so that "negotiations"
    meets "negotiation"."""
    return list(_tokens(text))


@lru_cache(maxsize=1 << 16)
def _tokens(text: str) -> tuple[str, ...]:
    # Skills and goals repeat across a cohort ("public speaking" a thousand times).
    out = []
    for word in _WORD.findall(text.lower()):
        if len(word) < 2 or word in _STOPWORDS:
            continue
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        out.append(word)
    return tuple(out)


def normalized(values: Iterable[str]) -> list[str]:
    """Set members compared case- and space-insensitively ("Rock climbing" == "rock climbing")."""
    return list(_normalized(tuple(values)))


@lru_cache(maxsize=1 << 16)
def _normalized(values: tuple[str, ...]) -> tuple[str, ...]:
    # Many people list the same languages or interests.
    return tuple(sorted({" ".join(v.lower().split()) for v in values if v.strip()}))


@dataclass(frozen=True, slots=True)
class TfIdf:
    """Row-normalized TF-IDF vectors of two families of documents over one vocabulary."""

    left: sp.csr_matrix  # e.g. mentees' goals
    right: sp.csr_matrix  # e.g. mentors' skills, title and bio
    vocabulary: dict[str, int]
    idf: FloatArray

    @classmethod
    def fit(cls, left: Sequence[Sequence[str]], right: Sequence[Sequence[str]]) -> TfIdf:
        docs = [*left, *right]
        vocabulary: dict[str, int] = {}
        for doc in docs:
            for tok in doc:
                vocabulary.setdefault(tok, len(vocabulary))
        counts = _count_matrix(docs, vocabulary)
        df = np.asarray((counts > 0).sum(axis=0), dtype=np.float64).ravel()
        # Smoothed idf, as scikit-learn does: a term everyone shares still weighs a little.
        idf = np.log((1.0 + len(docs)) / (1.0 + df)) + 1.0
        tf = counts.astype(np.float64)
        tf.data = 1.0 + np.log(tf.data)  # sublinear: a word repeated in a bio is not 5x the skill
        weighted = tf @ sp.diags(idf)
        norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        unit = sp.csr_matrix(sp.diags(1.0 / norms) @ weighted)
        n = len(left)
        return cls(left=unit[:n], right=unit[n:], vocabulary=vocabulary, idf=idf)

    def cosine(
        self, left_rows: npt.NDArray[np.intp], right_rows: npt.NDArray[np.intp]
    ) -> FloatArray:
        """Cosine of every left row against every right row: a (len(left), len(right)) block."""
        product = self.left[left_rows] @ self.right[right_rows].T
        return np.asarray(product.toarray(), dtype=np.float64)

    def pair_cosine(
        self, left_rows: npt.NDArray[np.intp], right_rows: npt.NDArray[np.intp]
    ) -> FloatArray:
        """Cosine of left_rows[k] against right_rows[k] for each k."""
        product = self.left[left_rows].multiply(self.right[right_rows])
        return np.asarray(product.sum(axis=1), dtype=np.float64).ravel()


def _count_matrix(docs: Sequence[Sequence[str]], vocabulary: dict[str, int]) -> sp.csr_matrix:
    found = [[vocabulary[t] for t in doc if t in vocabulary] for doc in docs]
    rows = np.repeat(np.arange(len(docs)), [len(f) for f in found])
    cols = np.fromiter(itertools.chain.from_iterable(found), dtype=np.int64, count=len(rows))
    data = np.ones(len(rows), dtype=np.float64)
    # Duplicate (row, col) entries are summed: that is the term count.
    matrix = sp.csr_matrix((data, (rows, cols)), shape=(len(docs), max(len(vocabulary), 1)))
    matrix.sum_duplicates()
    return matrix


@dataclass(frozen=True, slots=True)
class Incidence:
    """Which person holds which item (interest, language), as 0/1 sparse rows."""

    left: sp.csr_matrix
    right: sp.csr_matrix
    left_sizes: FloatArray
    right_sizes: FloatArray

    @classmethod
    def fit(cls, left: Sequence[Sequence[str]], right: Sequence[Sequence[str]]) -> Incidence:
        items: dict[str, int] = {}
        sets = [normalized(s) for s in [*left, *right]]
        for s in sets:
            for item in s:
                items.setdefault(item, len(items))
        matrix = _count_matrix(sets, items)
        matrix.data[:] = 1.0
        sizes = np.asarray(matrix.sum(axis=1), dtype=np.float64).ravel()
        n = len(left)
        return cls(left=matrix[:n], right=matrix[n:], left_sizes=sizes[:n], right_sizes=sizes[n:])

    def shared(
        self, left_rows: npt.NDArray[np.intp], right_rows: npt.NDArray[np.intp]
    ) -> FloatArray:
        """How many items each left row shares with each right row."""
        product = self.left[left_rows] @ self.right[right_rows].T
        return np.asarray(product.toarray(), dtype=np.float64)

    def jaccard(
        self, left_rows: npt.NDArray[np.intp], right_rows: npt.NDArray[np.intp]
    ) -> FloatArray:
        inter = self.shared(left_rows, right_rows)
        union = self.left_sizes[left_rows][:, None] + self.right_sizes[right_rows][None, :] - inter
        return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)

    def pair_jaccard(
        self, left_rows: npt.NDArray[np.intp], right_rows: npt.NDArray[np.intp]
    ) -> FloatArray:
        """Jaccard of left_rows[k] against right_rows[k] for each k."""
        inter = np.asarray(
            self.left[left_rows].multiply(self.right[right_rows]).sum(axis=1), dtype=np.float64
        ).ravel()
        union = self.left_sizes[left_rows] + self.right_sizes[right_rows] - inter
        return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
