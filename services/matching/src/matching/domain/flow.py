"""Exact min-cost flow over a sparse set of candidate pairs, with a certificate that the
sparse optimum is the optimum over every allowed pair.

The network: source -> mentee (capacity: the mentors they are to get) -> mentor (one unit per
pair, cost -weight) -> sink (capacity: the mentor's places), plus a source -> sink bypass at
cost 0 so that leaving a place empty is always feasible. Optional exact devices:

* one mentor per department per mentee: the mentee's arcs to department d's mentors leave
  from a (mentee, d) node fed by one unit;
* department diversity of a circle: arcs from department d's mentees reach a leader through a
  (leader, d) node whose first unit is free and every further unit costs a penalty (a convex
  cost, which min-cost flow optimizes exactly);
* priority: the prioritized mentees are fed from a node whose supply is the exact number of
  their places that can be filled, the others through a hub whose capacity caps their rate.

Costs are integers (scores scaled), so OR-Tools' cost-scaling solver is exact, and the
integral optimum is the LP optimum (the constraint matrix is totally unimodular).

Why the sparse answer is the dense one: after solving, shortest-path distances d in the
residual graph are node potentials under which every residual arc has a non-negative reduced
cost. That is the LP optimality certificate. It is then checked against every allowed pair
that was left out: arc (u, v) of cost c is fine when d(v) <= d(u) + c. If every left-out pair
passes, adding them all would not change the optimum. Pairs that fail are added and the
problem is solved again; the loop ends because each round adds pairs that were missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp  # type: ignore[import-untyped]
from ortools.graph.python import min_cost_flow  # type: ignore[import-untyped]
from scipy.sparse.csgraph import breadth_first_order  # type: ignore[import-untyped]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
Index = npt.NDArray[np.intp]

SOURCE, SINK, OTHERS_HUB, PRIORITY_HUB = 0, 1, 2, 3
_FIXED_NODES = 4


class PairOracle(Protocol):
    """Weights and hard-rule mask of every (row, column) pair, block by block."""

    n: int
    m: int

    def blocks(self, rows: Index) -> Iterator[tuple[Index, IntArray, BoolArray]]: ...


class CertificateError(RuntimeError):
    """The solver's answer failed its own optimality check: a bug, never bad input."""


@dataclass(frozen=True, slots=True)
class FlowModel:
    """Everything about the network except the pairs."""

    row_slots: IntArray  # places each row (mentee) is to fill
    col_capacity: IntArray  # places each column (mentor) offers
    row_department: IntArray  # department code, -1 when unknown
    col_department: IntArray
    one_per_department: bool = False  # a mentee takes at most one mentor per department
    department_penalty: int = 0  # >0: cost of each further same-department member of a column
    match_bonus: int = 0  # added to every pair's weight (lexicographic "match more first")
    use_weights: bool = True  # False: every pair weighs only the bonus (a pure max-flow)
    priority_rows: BoolArray | None = None  # rows fed from the priority hub
    priority_supply: int = 0  # exactly this many priority places are filled
    others_cap: int = 0  # at most this many of the other rows' places are filled


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

    def union(self, other: Candidates, m: int) -> Candidates:
        """Both sets, each pair once, sorted by (row, column)."""
        keys = np.concatenate([self.rows * m + self.cols, other.rows * m + other.cols])
        weights = np.concatenate([self.weights, other.weights])
        uniq, first = np.unique(keys, return_index=True)
        return Candidates((uniq // m).astype(np.intp), (uniq % m).astype(np.intp), weights[first])

    def __len__(self) -> int:
        return len(self.rows)


@dataclass(frozen=True, slots=True)
class FlowResult:
    rows: Index  # the chosen pairs
    cols: Index
    weights: IntArray
    penalty: int  # total department-diversity penalty paid
    cost: int  # the solver's optimal cost (negative of the maximized value)
    candidates: Candidates  # the final candidate set, certified
    allowed_pairs: int
    rounds: int
    proven_optimal: bool
    row_potential: IntArray  # residual distances: the LP duals of the final network
    col_potential: IntArray
    source_potential: int
    sink_potential: int


def initial_candidates(oracle: PairOracle, rows: Index, k_row: int, k_col: int) -> Candidates:
    """Each row's k_row heaviest allowed pairs, and each column's k_col heaviest: the column
    side keeps every mentor reachable even when the mentees' favourites are elsewhere."""
    m = oracle.m
    if m == 0 or len(rows) == 0:
        return Candidates.empty()
    k_row, k_col = max(k_row, 1), max(k_col, 1)
    keep_rows: list[Index] = []
    keep_cols: list[Index] = []
    keep_w: list[IntArray] = []
    # Running top-k_col per column, kept column-major (m x k) so that every merge works
    # on contiguous rows.
    best_w = np.full((m, 0), -1, dtype=np.int64)
    best_r = np.full((m, 0), -1, dtype=np.intp)
    for chunk, weights, allowed in oracle.blocks(rows):
        w = np.where(allowed, weights, -1)
        k = min(k_row, m)
        if k < m:
            top = np.argpartition(-w, k - 1, axis=1)[:, :k]
        else:
            top = np.tile(np.arange(m), (len(chunk), 1))
        ok = np.take_along_axis(w, top, axis=1) >= 0
        keep_rows.append(np.repeat(chunk, k)[ok.ravel()])
        keep_cols.append(top.ravel()[ok.ravel()].astype(np.intp))
        keep_w.append(np.take_along_axis(w, top, axis=1).ravel()[ok.ravel()])
        stacked_w = np.concatenate([best_w, w.T], axis=1)
        stacked_r = np.concatenate(
            [best_r, np.broadcast_to(chunk[None, :], (m, len(chunk)))], axis=1
        )
        kc = min(k_col, stacked_w.shape[1])
        if kc < stacked_w.shape[1]:
            sel = np.argpartition(-stacked_w, kc - 1, axis=1)[:, :kc]
            best_w = np.take_along_axis(stacked_w, sel, axis=1)
            best_r = np.take_along_axis(stacked_r, sel, axis=1)
        else:
            best_w, best_r = stacked_w, np.array(stacked_r)
    ok = best_w >= 0
    col_ids = np.broadcast_to(np.arange(m, dtype=np.intp)[:, None], best_w.shape)
    keep_rows.append(best_r[ok])
    keep_cols.append(col_ids[ok])
    keep_w.append(best_w[ok])
    found = Candidates(np.concatenate(keep_rows), np.concatenate(keep_cols), np.concatenate(keep_w))
    return found.union(Candidates.empty(), m)


@dataclass(slots=True)
class _Network:
    tails: IntArray
    heads: IntArray
    caps: IntArray
    costs: IntArray
    supplies: IntArray
    pair_arcs: slice  # where the pair arcs sit among all arcs
    pair_tail: IntArray  # node each pair's arc leaves from / enters
    pair_head: IntArray
    row_dept_keys: IntArray  # sorted row * D + dept of the (mentee, department) nodes
    row_dept_nodes: IntArray
    col_dept_keys: IntArray  # sorted col * D + dept of the (leader, department) nodes
    col_dept_nodes: IntArray
    penalty_arcs: slice


class TransportSolver:
    """Solves one FlowModel over the rows it is given, certified against the oracle."""

    def __init__(self, model: FlowModel, oracle: PairOracle, rows: Index) -> None:
        self.model, self.oracle, self.rows = model, oracle, rows
        self.n, self.m = oracle.n, oracle.m
        self.departments = int(
            max(model.row_department.max(initial=-1), model.col_department.max(initial=-1)) + 1
        )
        self.row_base = _FIXED_NODES
        self.col_base = _FIXED_NODES + self.n
        self.first_free = _FIXED_NODES + self.n + self.m

    def solve(
        self, candidates: Candidates, *, max_rounds: int = 50, add_per_row: int = 16
    ) -> FlowResult:
        rounds = 0
        while True:
            rounds += 1
            net = self._network(candidates)
            flows, cost = self._run(net)
            potential = _potentials(net, flows)
            used = flows[net.pair_arcs] > 0
            missing, allowed_pairs = self._violations(net, potential, candidates, used, add_per_row)
            if len(missing) == 0 or rounds >= max_rounds:
                return self._result(
                    net,
                    flows,
                    cost,
                    potential,
                    candidates,
                    used,
                    allowed_pairs,
                    rounds,
                    proven=len(missing) == 0,
                )
            candidates = candidates.union(missing, self.m)

    def pair_cost(self, weights: IntArray) -> IntArray:
        value = weights if self.model.use_weights else np.zeros_like(weights)
        return -(value + self.model.match_bonus)

    def _network(self, cand: Candidates) -> _Network:
        model, D = self.model, max(self.departments, 1)
        rows = self.rows
        tails: list[IntArray] = []
        heads: list[IntArray] = []
        caps: list[IntArray] = []
        costs: list[IntArray] = []

        def add(t: IntArray | int, h: IntArray | int, c: IntArray | int, w: IntArray | int) -> None:
            parts = [np.asarray(x, dtype=np.int64) for x in (t, h, c, w)]
            size = max((len(x) for x in parts if x.ndim), default=1)  # scalars broadcast
            for out, x in zip((tails, heads, caps, costs), parts, strict=True):
                out.append(np.broadcast_to(x, (size,)))

        slots = model.row_slots[rows]
        row_nodes = self.row_base + rows.astype(np.int64)
        supplies = np.zeros(self.first_free, dtype=np.int64)
        if model.priority_rows is not None:
            pri = model.priority_rows[rows]
            add(PRIORITY_HUB, row_nodes[pri], slots[pri], 0)
            add(SOURCE, OTHERS_HUB, model.others_cap, 0)
            add(OTHERS_HUB, row_nodes[~pri], slots[~pri], 0)
            supplies[PRIORITY_HUB] = model.priority_supply
            source_supply = int(slots[~pri].sum())
        else:
            add(SOURCE, row_nodes, slots, 0)
            source_supply = int(slots.sum())
        add(SOURCE, SINK, source_supply, 0)  # places left empty
        supplies[SOURCE] = source_supply
        supplies[SINK] = -(source_supply + supplies[PRIORITY_HUB])
        add(self.col_base + np.arange(self.m, dtype=np.int64), SINK, model.col_capacity, 0)

        next_node = self.first_free
        pair_tail = self.row_base + cand.rows.astype(np.int64)
        pair_head = self.col_base + cand.cols.astype(np.int64)
        empty = np.empty(0, dtype=np.int64)
        row_keys, row_dnodes, col_keys, col_dnodes = empty, empty, empty, empty
        if model.one_per_department:
            dept = model.col_department[cand.cols]
            known = dept >= 0
            keys = cand.rows[known].astype(np.int64) * D + dept[known]
            uniq, inverse = np.unique(keys, return_inverse=True)
            nodes = next_node + np.arange(len(uniq), dtype=np.int64)
            next_node += len(uniq)
            row_keys, row_dnodes = uniq, nodes
            add(self.row_base + uniq // D, nodes, 1, 0)
            pair_tail = pair_tail.copy()
            pair_tail[known] = nodes[inverse]
        penalty_start = sum(len(t) for t in tails)
        if model.department_penalty > 0:
            dept = model.row_department[cand.rows]
            known = dept >= 0
            keys = cand.cols[known].astype(np.int64) * D + dept[known]
            uniq, inverse = np.unique(keys, return_inverse=True)
            nodes = next_node + np.arange(len(uniq), dtype=np.int64)
            next_node += len(uniq)
            col_keys, col_dnodes = uniq, nodes
            leader = self.col_base + uniq // D
            add(nodes, leader, 1, 0)  # the first member from a department is free
            extra = np.maximum(model.col_capacity[uniq // D] - 1, 0)
            add(nodes, leader, extra, model.department_penalty)
            pair_head = pair_head.copy()
            pair_head[known] = nodes[inverse]
        penalty_arcs = slice(penalty_start, sum(len(t) for t in tails))

        pair_start = sum(len(t) for t in tails)
        # A pair carries one unit. Leaving a row with one place its arcs are capped at 2
        # instead: the same flow (the row feeds one unit), but a used arc keeps a residual
        # forward arc, so the potentials are exact LP duals (the peer bound needs them).
        tail_is_row = pair_tail < self.col_base
        many = model.row_slots[cand.rows] > 1
        pair_cap = np.where(tail_is_row & many, 1, 2)
        add(pair_tail, pair_head, pair_cap, self.pair_cost(cand.weights))
        pair_arcs = slice(pair_start, pair_start + len(cand))

        all_supplies = np.zeros(next_node, dtype=np.int64)
        all_supplies[: len(supplies)] = supplies
        return _Network(
            tails=np.concatenate(tails) if tails else np.empty(0, dtype=np.int64),
            heads=np.concatenate(heads),
            caps=np.concatenate(caps),
            costs=np.concatenate(costs),
            supplies=all_supplies,
            pair_arcs=pair_arcs,
            pair_tail=pair_tail,
            pair_head=pair_head,
            row_dept_keys=row_keys,
            row_dept_nodes=row_dnodes,
            col_dept_keys=col_keys,
            col_dept_nodes=col_dnodes,
            penalty_arcs=penalty_arcs,
        )

    def _run(self, net: _Network) -> tuple[IntArray, int]:
        smcf = min_cost_flow.SimpleMinCostFlow()
        smcf.add_arcs_with_capacity_and_unit_cost(
            net.tails.astype(np.int32),
            net.heads.astype(np.int32),
            net.caps,
            net.costs,
        )
        nodes = np.arange(len(net.supplies), dtype=np.int32)
        smcf.set_nodes_supplies(nodes, net.supplies)
        status = smcf.solve()
        if status != smcf.OPTIMAL:
            raise CertificateError(f"min-cost flow ended with status {status}")
        flows = np.asarray(smcf.flows(np.arange(len(net.tails), dtype=np.int32)), dtype=np.int64)
        return flows, int(smcf.optimal_cost())

    def _violations(
        self,
        net: _Network,
        potential: IntArray,
        cand: Candidates,
        used: BoolArray,
        add_per_row: int,
    ) -> tuple[Candidates, int]:
        """Allowed pairs whose reduced cost is negative under the potentials, at most
        add_per_row per row (the most negative first), and the number of allowed pairs."""
        model, D = self.model, max(self.departments, 1)
        m = self.m
        d_row = potential[self.row_base : self.row_base + self.n]
        d_col = potential[self.col_base : self.col_base + m]
        used_rows, used_cols = cand.rows[used], cand.cols[used]
        order = np.argsort(used_rows, kind="stable")
        used_rows, used_cols = used_rows[order], used_cols[order]
        col_dept = model.col_department
        # (leader, department) potentials: a node not in the network takes its leader's
        # potential, the value under which a new arc into it is easiest to satisfy.
        head_table = np.repeat(d_col[:, None], D, axis=1)
        np.put(head_table, net.col_dept_keys, potential[net.col_dept_nodes])
        out_rows: list[Index] = []
        out_cols: list[Index] = []
        out_w: list[IntArray] = []
        allowed_pairs = 0
        for chunk, weights, allowed in self.oracle.blocks(self.rows):
            allowed_pairs += int(allowed.sum())
            cost = self.pair_cost(weights)
            tail = np.broadcast_to(d_row[chunk][:, None], (len(chunk), m))
            if model.one_per_department and len(net.row_dept_keys):
                # (mentee, department) potentials; a node not in the network takes its
                # mentee's potential, under which a new arc out of it is easiest to satisfy.
                table = np.repeat(d_row[chunk][:, None], D, axis=1)
                grid = chunk[:, None].astype(np.int64) * D + np.arange(D)[None, :]
                at = np.minimum(
                    np.searchsorted(net.row_dept_keys, grid), len(net.row_dept_keys) - 1
                )
                has = net.row_dept_keys[at] == grid
                table[has] = potential[net.row_dept_nodes[at[has]]]
                tail = np.where(col_dept[None, :] >= 0, table[:, np.maximum(col_dept, 0)], tail)
            head = np.broadcast_to(d_col[None, :], (len(chunk), m))
            if len(net.col_dept_keys):
                rd = model.row_department[chunk]
                head = np.where((rd >= 0)[:, None], head_table[:, np.maximum(rd, 0)].T, head)
            slack = tail + cost - head  # the reduced cost; negative means "should be in"
            bad = allowed & (slack < 0)
            lo, hi = np.searchsorted(used_rows, [chunk[0], chunk[-1] + 1])
            if hi > lo:  # used pairs may have a negative reduced cost: they are in already
                pos = np.searchsorted(chunk, used_rows[lo:hi])
                bad[pos, used_cols[lo:hi]] = False
            if not bad.any():
                continue
            slack = np.where(bad, slack, 0)
            k = min(add_per_row, m)
            top = (
                np.argpartition(slack, k - 1, axis=1)[:, :k]
                if k < m
                else np.tile(np.arange(m), (len(chunk), 1))
            )
            picked = np.take_along_axis(bad, top, axis=1)
            out_rows.append(np.repeat(chunk, top.shape[1])[picked.ravel()])
            out_cols.append(top.ravel()[picked.ravel()].astype(np.intp))
            out_w.append(np.take_along_axis(weights, top, axis=1).ravel()[picked.ravel()])
        if not out_rows:
            return Candidates.empty(), allowed_pairs
        found = Candidates(
            np.concatenate(out_rows), np.concatenate(out_cols), np.concatenate(out_w)
        )
        return found, allowed_pairs

    def _result(
        self,
        net: _Network,
        flows: IntArray,
        cost: int,
        potential: IntArray,
        cand: Candidates,
        used: BoolArray,
        allowed_pairs: int,
        rounds: int,
        *,
        proven: bool,
    ) -> FlowResult:
        pen_flows = flows[net.penalty_arcs] * net.costs[net.penalty_arcs]
        return FlowResult(
            rows=cand.rows[used],
            cols=cand.cols[used],
            weights=cand.weights[used],
            penalty=int(pen_flows.sum()),
            cost=cost,
            candidates=cand,
            allowed_pairs=allowed_pairs,
            rounds=rounds,
            proven_optimal=proven,
            row_potential=potential[self.row_base : self.row_base + self.n],
            col_potential=potential[self.col_base : self.col_base + self.m],
            source_potential=int(potential[SOURCE]),
            sink_potential=int(potential[SINK]),
        )


_RELAXATION_ROUNDS = 2_000  # Bellman-Ford sweeps before the exact fallback takes over


def _potentials(net: _Network, flows: IntArray) -> IntArray:
    """Node potentials under which every residual arc has a non-negative reduced cost: the
    LP optimality certificate of `flows`.

    They are shortest-path distances in the residual graph from a virtual root joined to
    every node at cost 0; they exist because the flow is optimal (no negative cycle).
    Vectorized Bellman-Ford sweeps find them in a few hundred sweeps on these graphs; if
    they have not settled by then, a second min-cost flow computes them exactly."""
    fwd = flows < net.caps
    bwd = flows > 0
    u = np.concatenate([net.tails[fwd], net.heads[bwd]])
    v = np.concatenate([net.heads[fwd], net.tails[bwd]])
    c = np.concatenate([net.costs[fwd], -net.costs[bwd]])
    settled = _relax(len(net.supplies), u, v, c)
    if settled is not None:
        return settled
    return _potentials_by_flow(len(net.supplies), u, v, c)


def _relax(n_nodes: int, u: IntArray, v: IntArray, c: IntArray) -> IntArray | None:
    """Bellman-Ford from distance 0 everywhere, all arcs relaxed at once per sweep; None if
    not settled within _RELAXATION_ROUNDS sweeps. Settled means no arc can lower its head,
    which is exactly the certificate."""
    order = np.argsort(v, kind="stable")
    u, v, c = u[order], v[order], c[order]
    heads, starts = np.unique(v, return_index=True)
    if len(heads) == 0:
        return np.zeros(n_nodes, dtype=np.int64)
    dist = np.zeros(n_nodes, dtype=np.int64)
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
