"""Node potentials that certify a min-cost flow: shortest-path distances in its residual
graph, under which every residual arc has a non-negative reduced cost (the LP optimality
conditions). The flow's own solver does not report them, so they are computed here."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp  # type: ignore[import-untyped]
from ortools.graph.python import min_cost_flow  # type: ignore[import-untyped]
from scipy.sparse.csgraph import breadth_first_order  # type: ignore[import-untyped]

IntArray = npt.NDArray[np.int64]


class CertificateError(RuntimeError):
    """The solver's answer failed its own optimality check: a bug, never bad input."""


_RELAXATION_ROUNDS = 2_000  # Bellman-Ford sweeps before the exact fallback takes over


def residual_potentials(
    n_nodes: int,
    tails: IntArray,
    heads: IntArray,
    caps: IntArray,
    costs: IntArray,
    flows: IntArray,
    start: IntArray | None = None,
) -> IntArray:
    """Node potentials under which every residual arc has a non-negative reduced cost: the
    LP optimality certificate of `flows`.

    They are shortest-path distances in the residual graph from a virtual root joined to
    every node at cost `start` (0 by default); they exist because the flow is optimal (no
    negative cycle). Vectorized Bellman-Ford sweeps find them in a few hundred sweeps on
    these graphs, fewer from the previous round's potentials; if they have not settled by
    then, a second min-cost flow computes them exactly."""
    fwd = flows < caps
    bwd = flows > 0
    u = np.concatenate([tails[fwd], heads[bwd]])
    v = np.concatenate([heads[fwd], tails[bwd]])
    c = np.concatenate([costs[fwd], -costs[bwd]])
    begin = np.zeros(n_nodes, dtype=np.int64) if start is None else start.astype(np.int64)
    settled = _relax(begin, u, v, c)
    if settled is not None:
        return settled
    return _potentials_by_flow(n_nodes, u, v, c)


def _relax(dist: IntArray, u: IntArray, v: IntArray, c: IntArray) -> IntArray | None:
    """Bellman-Ford from `dist`, all arcs relaxed at once per sweep; None if not settled
    within _RELAXATION_ROUNDS sweeps. Settled means no arc can lower its head, which is
    exactly the certificate, whatever the labels started from."""
    order = np.argsort(v, kind="stable")
    u, v, c = u[order], v[order], c[order]
    heads, starts = np.unique(v, return_index=True)
    if len(heads) == 0:
        return dist
    for _ in range(_RELAXATION_ROUNDS):
        best = np.minimum(dist[heads], np.minimum.reduceat(dist[u] + c, starts))
        if np.array_equal(best, dist[heads]):
            return dist
        dist[heads] = best
    return None


def _potentials_by_flow(n_nodes: int, u: IntArray, v: IntArray, c: IntArray) -> IntArray:
    """The same distances from a min-cost flow: the root sends one unit to every node along
    uncapacitated residual arcs; in its optimum every arc carrying flow lies on a shortest
    path, so distances follow from the root along those arcs. The result is checked arc by
    arc, so the certificate never rests on that reasoning alone."""
    root = n_nodes
    u = np.concatenate([u, np.full(n_nodes, root)])
    v = np.concatenate([v, np.arange(n_nodes)])
    c = np.concatenate([c, np.zeros(n_nodes, dtype=np.int64)])
    smcf = min_cost_flow.SimpleMinCostFlow()
    arcs = smcf.add_arcs_with_capacity_and_unit_cost(
        u.astype(np.int32), v.astype(np.int32), np.full(len(u), n_nodes, dtype=np.int64), c
    )
    supplies = np.full(n_nodes + 1, -1, dtype=np.int64)
    supplies[root] = n_nodes
    smcf.set_nodes_supplies(np.arange(n_nodes + 1, dtype=np.int32), supplies)
    status = smcf.solve()
    if status != smcf.OPTIMAL:
        raise CertificateError(f"residual shortest paths ended with status {status}")
    carried = np.asarray(smcf.flows(np.asarray(arcs, dtype=np.int32)), dtype=np.int64) > 0
    tree = sp.csr_matrix(
        (np.ones(int(carried.sum())), (u[carried], v[carried])), shape=(n_nodes + 1, n_nodes + 1)
    )
    order, parent = breadth_first_order(tree, root, directed=True, return_predecessors=True)
    # The cost of each node's tree arc, found by its (parent, node) key among carried arcs
    # (two carried arcs with one key are both tight, so they cost the same).
    width = n_nodes + 1
    keys = u[carried] * width + v[carried]
    by_key = np.argsort(keys, kind="stable")
    below = order[1:]
    at = np.searchsorted(keys[by_key], parent[below].astype(np.int64) * width + below)
    into = np.zeros(width, dtype=np.int64)
    into[below] = c[carried][by_key][at]
    dist = np.zeros(width, dtype=np.int64)
    for node, up in zip(below.tolist(), parent[below].tolist(), strict=True):
        dist[node] = dist[up] + into[node]
    if len(order) != n_nodes + 1 or np.any(dist[v] > dist[u] + c):
        raise CertificateError("residual potentials failed their own check")
    return dist[:n_nodes]
