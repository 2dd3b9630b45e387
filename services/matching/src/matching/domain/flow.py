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
* priority: each prioritized mentee's first place is fed from a hub whose supply is exactly
  the number of them who can be matched at once (see `optimizer`); further places and the
  other mentees' places come from the source, uncapped.

Costs are integers (scores scaled), so OR-Tools' cost-scaling solver is exact, and the
integral optimum is the LP optimum (the constraint matrix is totally unimodular).

Why the sparse answer is the dense one: the residual graph's shortest-path distances are node
potentials under which every arc of the sparse network has a non-negative reduced cost
(`potentials`). `pricing` then checks every allowed pair that was left out; if none has a
negative reduced cost, adding them all would not change the optimum: proven. Otherwise the
violated pairs chosen by `pricing` are added and the problem is solved again. Every round
adds pairs that were missing, so the loop ends, and nothing caps it: when rounds stop paying
off, every violated pair (or, on a cohort small enough, every allowed pair) goes in at once.
Only a network that would outgrow MAX_CANDIDATES pairs stops early, and then says so with
the bound `pricing` gives on what the full optimum could add (`gap`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow  # type: ignore[import-untyped]

from matching.domain.candidates import Candidates, Index, IntArray, PairOracle, TieBreak
from matching.domain.potentials import CertificateError, residual_potentials
from matching.domain.pricing import Duals, price

BoolArray = npt.NDArray[np.bool_]

SOURCE, SINK, PRIORITY_HUB = 0, 1, 2
_FIXED_NODES = 3
MARGIN = 200  # score units (0.02 of a score): near-violations added along with violations
STALL_ROUNDS = 4  # from this round on, rounds that stop paying off add every violation...
STALLED_ADD_ALL = 1 << 23
DENSE_PAIRS = 1 << 22  # ... or, on a cohort of at most this many allowed pairs, all of them
MAX_CANDIDATES = 1 << 26  # a network past this many pairs stops (never seen: ~3 GB)


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
    priority_rows: BoolArray | None = None  # rows whose first place comes from the hub
    priority_supply: int = 0  # exactly this many prioritized rows get a first place


@dataclass(frozen=True, slots=True)
class RoundRecord:
    candidates: int  # pairs in the network
    violations: int  # left-out allowed pairs with a negative reduced cost
    added: int  # pairs added for the next round


@dataclass(frozen=True, slots=True)
class FlowResult:
    rows: Index  # the chosen pairs
    cols: Index
    weights: IntArray
    penalty: int  # total department-diversity penalty paid
    cost: int  # the solver's optimal cost (negative of the maximized value)
    candidates: Candidates  # the final candidate set
    allowed_pairs: int
    rounds: int
    history: tuple[RoundRecord, ...]  # what each round saw, first to last
    proven_optimal: bool
    gap: int  # the most the optimum over every allowed pair can beat `cost` by (0: proven)
    row_potential: IntArray  # residual distances: the LP duals of the final network
    col_potential: IntArray
    source_potential: int
    sink_potential: int


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


def pricing_sizes(slots: IntArray, capacity: IntArray, n: int) -> tuple[int, IntArray]:
    """How many violated pairs a round adds at most per mentee, and per mentor (sized by the
    mentor's places)."""
    return 2 * int(slots.max(initial=1)) + 4, np.minimum(capacity + 4, n).astype(np.int64)


class TransportSolver:
    """Solves one FlowModel over the rows it is given, certified against the oracle."""

    def __init__(self, model: FlowModel, oracle: PairOracle, rows: Index, ties: TieBreak) -> None:
        self.model, self.oracle, self.rows, self.ties = model, oracle, rows, ties
        self.n, self.m = oracle.n, oracle.m
        self.departments = int(
            max(model.row_department.max(initial=-1), model.col_department.max(initial=-1)) + 1
        )
        self.row_base = _FIXED_NODES
        self.col_base = _FIXED_NODES + self.n
        self.first_free = _FIXED_NODES + self.n + self.m

    def solve(self, candidates: Candidates, *, max_rounds: int | None = None) -> FlowResult:
        """The optimum, proven against every allowed pair. `max_rounds` (tests only) stops
        early with the gap bound instead."""
        sizes = pricing_sizes(
            self.model.row_slots[self.rows], self.model.col_capacity, len(self.rows)
        )
        # Near-violations only mean something on a weight scale; a max-flow has none.
        margin = MARGIN if self.model.use_weights else 0
        add_all = max(2 * len(self.rows), 1 << 14)
        rounds, previous = 0, None
        history: list[RoundRecord] = []
        potential: IntArray | None = None
        while True:
            rounds += 1
            net = self._network(candidates)
            flows, cost = self._run(net)
            potential = residual_potentials(
                len(net.supplies),
                net.tails,
                net.heads,
                net.caps,
                net.costs,
                flows,
                None if potential is None else self._start(net, potential),
            )
            pricing = price(
                self.oracle,
                self.rows,
                self._duals(net, potential),
                candidates,
                self.model.row_slots,
                sizes,
                self.ties,
                margin=margin,
                add_all=add_all,
            )
            history.append(RoundRecord(len(candidates), pricing.violations, len(pricing.added)))
            proven = pricing.violations == 0
            stop = max_rounds is not None and rounds >= max_rounds
            added = pricing.added
            # Rounds that stop paying off (violations not halving): everything at once.
            stalled = previous is not None and 2 * pricing.violations > previous
            if not proven and rounds >= STALL_ROUNDS and stalled:
                if pricing.allowed_pairs <= DENSE_PAIRS:
                    added = self._all_allowed()
                add_all = STALLED_ADD_ALL
            if not proven and len(candidates) + len(added) > MAX_CANDIDATES:
                stop = True
            if proven or stop:
                used = flows[net.pair_arcs] > 0
                chosen = Candidates(
                    candidates.rows[used], candidates.cols[used], candidates.weights[used]
                )
                return self._result(
                    net,
                    flows,
                    cost,
                    potential,
                    chosen,
                    candidates,
                    pricing.allowed_pairs,
                    tuple(history),
                    proven,
                    pricing.gap,
                )
            previous = pricing.violations
            candidates = candidates.union(added, self.m)

    def _start(self, net: _Network, last: IntArray) -> IntArray:
        """Last round's potentials for this round's nodes: settling from them takes fewer
        sweeps. A (mentee or leader, department) node starts at its mentee's or leader's."""
        D = max(self.departments, 1)
        start = np.zeros(len(net.supplies), dtype=np.int64)
        start[: self.first_free] = last[: self.first_free]
        start[net.row_dept_nodes] = last[self.row_base + net.row_dept_keys // D]
        start[net.col_dept_nodes] = last[self.col_base + net.col_dept_keys // D]
        return start

    def pair_cost(self, weights: IntArray) -> IntArray:
        value = weights if self.model.use_weights else np.zeros_like(weights)
        return -(value + self.model.match_bonus)

    def _all_allowed(self) -> Candidates:
        parts = []
        for chunk, weights in self.oracle.blocks(self.rows):
            at, cols = np.nonzero(weights >= 0)
            parts.append(
                Candidates(chunk[at], cols.astype(np.intp), weights[at, cols].astype(np.int64))
            )
        return Candidates.concat(parts)

    def _duals(self, net: _Network, potential: IntArray) -> Duals:
        """The potentials as each pair sees them. A (mentee, department) or (leader,
        department) node not in the network takes its mentee's or leader's potential: the
        value under which a new arc through it is easiest to satisfy."""
        model, D = self.model, max(self.departments, 1)
        d_row = potential[self.row_base : self.row_base + self.n]
        d_col = potential[self.col_base : self.col_base + self.m]
        row_by_dept = None
        if model.one_per_department:
            row_by_dept = np.repeat(d_row[:, None], D + 1, axis=1)
            keys = net.row_dept_keys
            row_by_dept[keys // D, keys % D + 1] = potential[net.row_dept_nodes]
        col_by_dept = None
        if model.department_penalty > 0:
            col_by_dept = np.repeat(d_col[None, :], D + 1, axis=0)  # (department + 1, col)
            keys = net.col_dept_keys
            col_by_dept[keys % D + 1, keys // D] = potential[net.col_dept_nodes]
        return Duals(
            row=d_row,
            col=d_col,
            row_by_department=row_by_dept,
            col_department=model.col_department + 1,
            col_by_department=col_by_dept,
            row_department=model.row_department + 1,
            bonus=model.match_bonus,
            use_weights=model.use_weights,
        )

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
            # A prioritized mentee's first place comes from the hub, which must hand out
            # exactly priority_supply of them; further places come from the source.
            pri = model.priority_rows[rows]
            add(PRIORITY_HUB, row_nodes[pri], np.minimum(slots[pri], 1), 0)
            add(SOURCE, row_nodes[pri], np.maximum(slots[pri] - 1, 0), 0)
            add(SOURCE, row_nodes[~pri], slots[~pri], 0)
            supplies[PRIORITY_HUB] = model.priority_supply
            source_supply = int(slots.sum()) - int(np.minimum(slots[pri], 1).sum())
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

    def _result(
        self,
        net: _Network,
        flows: IntArray,
        cost: int,
        potential: IntArray,
        chosen: Candidates,
        cand: Candidates,
        allowed_pairs: int,
        history: tuple[RoundRecord, ...],
        proven: bool,
        gap: int,
    ) -> FlowResult:
        pen_flows = flows[net.penalty_arcs] * net.costs[net.penalty_arcs]
        return FlowResult(
            rows=chosen.rows,
            cols=chosen.cols,
            weights=chosen.weights,
            penalty=int(pen_flows.sum()),
            cost=cost,
            candidates=cand,
            allowed_pairs=allowed_pairs,
            rounds=len(history),
            history=history,
            proven_optimal=proven,
            gap=0 if proven else gap,
            row_potential=potential[self.row_base : self.row_base + self.n],
            col_potential=potential[self.col_base : self.col_base + self.m],
            source_potential=int(potential[SOURCE]),
            sink_potential=int(potential[SINK]),
        )
