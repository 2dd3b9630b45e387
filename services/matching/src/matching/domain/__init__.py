"""Matching's domain: plain Python and numpy, no I/O.

Entry points for the service:
- `optimizer.solve_cohort(CohortProblem) -> CohortSolution`: one match run for a whole
  cohort, any program kind; pure and picklable, meant for a ProcessPoolExecutor worker.
- `suggestions.suggest_mentors(...)`: a ranked, explained shortlist for one mentee.
- `rules.why_not(...)`: the hard rules a given pair breaks, in words.

Modules: `model` (the dataclasses), `rules` (hard constraints), `similarity` (TF-IDF and set
overlap), `scoring` (criteria and score, readable), `weights` (the same score fused into int16
blocks), `reasons` (sentences), `compatibility` (every pair's weight, scored once and kept),
`candidates` (which pairs the sparse flow holds), `flow` (certified sparse min-cost flow),
`potentials` and `pricing` (its certificate), `optimizer`, `peer`, `groups`, `suggestions`.
The greedy and dense references live in `bench.matching.baselines` (tests and bench only).
"""
